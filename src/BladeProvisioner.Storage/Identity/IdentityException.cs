namespace BladeProvisioner.Storage.Identity;

/// <summary>A clone's OS could not be made the blade's own; the clone is not exported.</summary>
public sealed class IdentityException(string message) : Exception(message);
