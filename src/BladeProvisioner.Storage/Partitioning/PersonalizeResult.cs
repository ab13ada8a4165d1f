namespace BladeProvisioner.Storage.Partitioning;

/// <summary>What personalising did, for the volume row.</summary>
/// <param name="DonorScheme">The layout the donor arrived with.</param>
/// <param name="DiskIdentifierBefore">The donor's identifier; null for a bare filesystem.</param>
/// <param name="Layout">The volume's table as written.</param>
/// <param name="LastPartitionGrown">False when the volume had no room to add or the last partition is extended.</param>
public sealed record PersonalizeResult(
    PartitionScheme DonorScheme,
    string? DiskIdentifierBefore,
    VolumeLayout Layout,
    bool LastPartitionGrown)
{
    public string DiskIdentifierAfter => Layout.DiskIdentifier;
}
