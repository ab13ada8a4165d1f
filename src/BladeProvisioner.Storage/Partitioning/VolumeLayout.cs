namespace BladeProvisioner.Storage.Partitioning;

/// <summary>
/// A volume's verified table. <see cref="DiskIdentifier"/> is written as <c>sfdisk --json</c> prints its "id":
/// <c>0x1a2b3c4d</c> for MBR, the upper-case disk GUID for GPT.
/// </summary>
public sealed record VolumeLayout(PartitionScheme Scheme, int SectorSize, string DiskIdentifier, IReadOnlyList<PartitionInfo> Partitions);
