namespace BladeProvisioner.Storage.Partitioning.Mbr;

/// <summary>A validated MBR: the disk signature and the four primary slots (empty ones included).</summary>
public sealed class MbrPartitionTable(uint diskSignature, IReadOnlyList<MbrPartitionEntry> entries)
{
    public uint DiskSignature { get; } = diskSignature;

    public IReadOnlyList<MbrPartitionEntry> Entries { get; } = entries;

    /// <summary>True when a 0xEE entry is present: the MBR only protects (or hybridises) a GPT.</summary>
    public bool HasProtectiveEntry => Entries.Any(e => e.Type == MbrPartitionEntry.ProtectiveType);

    public IEnumerable<MbrPartitionEntry> Used => Entries.Where(e => !e.IsEmpty);
}
