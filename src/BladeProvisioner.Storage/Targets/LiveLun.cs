namespace BladeProvisioner.Storage.Targets;

/// <summary>A logical unit of a live target. <see cref="Wwn"/> is null when the service cannot report it.</summary>
public sealed record LiveLun(int Lun, string? BackingPath, string? ScsiSerial, string? Wwn, long SizeBytes, bool IsController);
