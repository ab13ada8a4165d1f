namespace BladeProvisioner.Core.Readiness;

/// <summary>A dependency the readiness monitor found down: which, why (the last probe's error) and since when.</summary>
public sealed record ReadinessFault(string Dependency, string Reason, DateTimeOffset Since);
