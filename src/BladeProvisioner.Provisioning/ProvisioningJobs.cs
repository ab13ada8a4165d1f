namespace BladeProvisioner.Provisioning;

/// <summary>Job kinds and their parameters.</summary>
public static class ProvisioningJobs
{
    public const string Provision = "volume.clone";
    public const string Decommission = "blade.decommission";
}

internal sealed record ProvisionParameters(long BladeId, long VolumeId, long ImageId);

/// <summary>Where a provisioning job stands: the durable copy offset, then the phases after the copy.</summary>
internal sealed record ProvisionCheckpoint(long DurableOffset, string Phase);

internal sealed record DecommissionParameters(long BladeId);
