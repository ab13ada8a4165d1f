namespace BladeProvisioner.Storage.Partitioning;

/// <summary>How a volume (or a donor) is laid out at block 0.</summary>
public enum PartitionScheme
{
    /// <summary>A DOS/MBR partition table (primary partitions).</summary>
    Mbr,

    /// <summary>A GUID partition table behind a protective (or hybrid) MBR.</summary>
    Gpt,

    /// <summary>No partition table: a filesystem starts at byte 0.</summary>
    BareFilesystem,
}
