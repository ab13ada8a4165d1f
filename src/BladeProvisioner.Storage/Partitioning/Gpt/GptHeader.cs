namespace BladeProvisioner.Storage.Partitioning.Gpt;

/// <summary>A validated GPT header (UEFI 2.10 §5.3.2). LBAs are in the table's logical sector size.</summary>
public sealed record GptHeader(
    uint Revision,
    uint HeaderSize,
    long CurrentLba,
    long BackupLba,
    long FirstUsableLba,
    long LastUsableLba,
    Guid DiskGuid,
    long EntriesLba,
    uint EntryCount,
    uint EntrySize,
    uint EntriesCrc)
{
    /// <summary>Bytes of the entry array; bounded by the reader to <see cref="GptReader.MaxEntriesBytes"/>.</summary>
    public int EntriesByteLength => (int)(EntryCount * EntrySize);

    public long EntriesSectors(int sectorSize) => (EntriesByteLength + sectorSize - 1L) / sectorSize;
}
