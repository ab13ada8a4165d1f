using System.Buffers.Binary;
using System.IO.Hashing;

namespace BladeProvisioner.Storage.Partitioning.Gpt;

/// <summary>
/// Reads and validates a GPT header sector and its entry array (UEFI 2.10 §5.3). Every length and LBA read from
/// disk is checked before use; problems come back as a <see cref="PartitionTableError"/>, never an exception.
/// </summary>
public readonly ref struct GptReader(ReadOnlySpan<byte> headerSector, int sectorSize)
{
    /// <summary>Upper bound on EntryCount x EntrySize; the usual array is 16 KiB.</summary>
    public const int MaxEntriesBytes = 1 << 20;

    private readonly ReadOnlySpan<byte> _sector = headerSector;
    private readonly int _sectorSize = sectorSize;

    public bool HasSignature => _sector.Length >= 8 && _sector[..8].SequenceEqual(GptLayout.Signature);

    /// <param name="expectedLba">1 for the primary header, the last LBA for the backup.</param>
    /// <param name="volumeSectors">Volume size in sectors; every LBA in the header must fall inside it.</param>
    /// <param name="header">The header when the result is <see cref="PartitionTableError.None"/>.</param>
    public PartitionTableError TryReadHeader(long expectedLba, long volumeSectors, out GptHeader? header)
    {
        header = null;
        if (_sector.Length < GptLayout.MinHeaderSize)
        {
            return PartitionTableError.Truncated;
        }

        if (!HasSignature)
        {
            return PartitionTableError.BadSignature;
        }

        var revision = BinaryPrimitives.ReadUInt32LittleEndian(_sector[8..]);
        var headerSize = BinaryPrimitives.ReadUInt32LittleEndian(_sector[12..]);
        if (revision >> 16 != 1 || headerSize < GptLayout.MinHeaderSize || headerSize > (uint)_sectorSize)
        {
            return PartitionTableError.BadHeaderField;
        }

        if ((uint)_sector.Length < headerSize)
        {
            return PartitionTableError.Truncated;
        }

        var storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(_sector[GptLayout.HeaderCrcOffset..]);
        var zero = (ReadOnlySpan<byte>)[0, 0, 0, 0];
        var crc = new Crc32();
        crc.Append(_sector[..GptLayout.HeaderCrcOffset]);
        crc.Append(zero);
        crc.Append(_sector[(GptLayout.HeaderCrcOffset + 4)..(int)headerSize]);
        var computed = crc.GetCurrentHashAsUInt32();
        if (computed != storedCrc)
        {
            return PartitionTableError.BadHeaderCrc;
        }

        var current = BinaryPrimitives.ReadUInt64LittleEndian(_sector[24..]);
        var backup = BinaryPrimitives.ReadUInt64LittleEndian(_sector[32..]);
        var firstUsable = BinaryPrimitives.ReadUInt64LittleEndian(_sector[40..]);
        var lastUsable = BinaryPrimitives.ReadUInt64LittleEndian(_sector[48..]);
        var diskGuid = new Guid(_sector.Slice(56, 16));
        var entriesLba = BinaryPrimitives.ReadUInt64LittleEndian(_sector[72..]);
        var entryCount = BinaryPrimitives.ReadUInt32LittleEndian(_sector[80..]);
        var entrySize = BinaryPrimitives.ReadUInt32LittleEndian(_sector[84..]);
        var entriesCrc = BinaryPrimitives.ReadUInt32LittleEndian(_sector[88..]);

        // Entry size is 128 x 2^n (UEFI 2.10 §5.3.2).
        if (current != (ulong)expectedLba || entrySize < 128 || entrySize > 4096 || (entrySize & (entrySize - 1)) != 0)
        {
            return PartitionTableError.BadHeaderField;
        }

        if ((ulong)entryCount * entrySize > MaxEntriesBytes)
        {
            return PartitionTableError.TooManyEntries;
        }

        var volume = (ulong)volumeSectors;
        if (backup >= volume || lastUsable >= volume || entriesLba >= volume)
        {
            return PartitionTableError.Truncated;
        }

        if (firstUsable > lastUsable || backup == current || entriesLba < 2)
        {
            return PartitionTableError.BadHeaderField;
        }

        var entriesSectors = (((ulong)entryCount * entrySize) + (ulong)_sectorSize - 1) / (ulong)_sectorSize;
        var entriesEnd = entriesLba + entriesSectors;
        if (entriesEnd > volume)
        {
            return PartitionTableError.Truncated;
        }

        // The entry array and the headers lie outside the usable area.
        var isPrimary = current < backup;
        var arrayClear = isPrimary
            ? entriesEnd <= firstUsable && entriesLba > current
            : entriesLba > lastUsable && entriesEnd <= current;
        if (!arrayClear || firstUsable <= Math.Min(current, backup) || lastUsable >= Math.Max(current, backup))
        {
            return PartitionTableError.Overlap;
        }

        header = new GptHeader(
            revision, headerSize, (long)current, (long)backup, (long)firstUsable, (long)lastUsable,
            diskGuid, (long)entriesLba, entryCount, entrySize, entriesCrc);
        return PartitionTableError.None;
    }

    /// <summary>Validates the entry array of <paramref name="header"/>: CRC, ranges, overlaps.</summary>
    public static PartitionTableError TryReadEntries(
        ReadOnlySpan<byte> entries, GptHeader header, out GptPartitionEntry[]? used)
    {
        used = null;
        var length = header.EntriesByteLength;
        if ((uint)entries.Length < (uint)length)
        {
            return PartitionTableError.Truncated;
        }

        var array = entries[..length];
        if (Crc32.HashToUInt32(array) != header.EntriesCrc)
        {
            return PartitionTableError.BadEntriesCrc;
        }

        var list = new List<GptPartitionEntry>();
        for (var i = 0; i < header.EntryCount; i++)
        {
            var e = array.Slice(i * (int)header.EntrySize, (int)header.EntrySize);
            var type = new Guid(e[..16]);
            if (type == Guid.Empty)
            {
                continue;
            }

            var first = BinaryPrimitives.ReadUInt64LittleEndian(e[32..]);
            var last = BinaryPrimitives.ReadUInt64LittleEndian(e[GptLayout.EntryLastLbaOffset..]);
            if (first > last || first < (ulong)header.FirstUsableLba || last > (ulong)header.LastUsableLba)
            {
                return PartitionTableError.EntryOutOfRange;
            }

            list.Add(new GptPartitionEntry(
                i,
                type,
                new Guid(e.Slice(GptLayout.EntryUniqueGuidOffset, 16)),
                (long)first,
                (long)last,
                BinaryPrimitives.ReadUInt64LittleEndian(e[48..]),
                GptLayout.ReadName(e.Slice(GptLayout.EntryNameOffset, GptLayout.EntryNameBytes))));
        }

        list.Sort(static (a, b) => a.FirstLba.CompareTo(b.FirstLba));
        for (var i = 1; i < list.Count; i++)
        {
            if (list[i].FirstLba <= list[i - 1].LastLba)
            {
                return PartitionTableError.Overlap;
            }
        }

        used = [.. list];
        return PartitionTableError.None;
    }
}
