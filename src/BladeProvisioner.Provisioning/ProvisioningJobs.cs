namespace BladeProvisioner.Provisioning;

/// <summary>Job kinds and their parameters.</summary>
public static class ProvisioningJobs
{
    public const string Provision = "volume.clone";
    public const string Decommission = "blade.decommission";
}

internal sealed record ProvisionParameters(long BladeId, long VolumeId, long ImageId);

/// <summary>
/// Where a provisioning job stands. <see cref="Phase"/> is the last phase whose effect is durable: "copy" (the volume
/// holds the donor up to <see cref="DurableOffset"/>), "copied" (the whole donor, fdatasynced, its SHA-256 checked),
/// "verified" (personalised, read back and fsynced). <see cref="IdentifierSeed"/> (hex) is recorded with "copied",
/// before personalisation writes anything, so a resumed personalisation derives the same identifiers. The copy figures
/// are kept for the timeline record written after personalisation.
/// </summary>
internal sealed record ProvisionCheckpoint(
    long DurableOffset,
    string Phase,
    string? IdentifierSeed = null,
    bool Reflinked = false,
    long DataBytesCopied = 0,
    double CopySeconds = 0,
    string? Sha256 = null);

internal sealed record DecommissionParameters(long BladeId);
