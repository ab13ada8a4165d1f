namespace BladeProvisioner.Storage.Capacity;

/// <summary>Bytes a piece of new work will allocate on the filesystem of <see cref="Role"/>.</summary>
public readonly record struct SpaceClaim(FilesystemRole Role, long Bytes);
