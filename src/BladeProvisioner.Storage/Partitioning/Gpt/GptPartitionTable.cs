namespace BladeProvisioner.Storage.Partitioning.Gpt;

/// <summary>A validated GPT: the primary header and its used entries, sorted by first LBA.</summary>
public sealed class GptPartitionTable(GptHeader header, IReadOnlyList<GptPartitionEntry> entries, int sectorSize)
{
    public GptHeader Header { get; } = header;

    public IReadOnlyList<GptPartitionEntry> Entries { get; } = entries;

    public int SectorSize { get; } = sectorSize;
}
