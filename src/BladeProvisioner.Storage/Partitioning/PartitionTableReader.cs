using BladeProvisioner.Storage.Partitioning.Gpt;
using BladeProvisioner.Storage.Partitioning.Mbr;

namespace BladeProvisioner.Storage.Partitioning;

/// <summary>
/// Detects and validates what starts a volume: a GPT (with its protective MBR), an MBR, or a bare filesystem.
/// Reads only the <paramref name="head"/> span (the first 2 MiB is plenty for every table this appliance
/// accepts); never throws.
/// </summary>
/// <param name="head">The first bytes of the volume.</param>
/// <param name="volumeBytes">The whole volume's size: partitions and headers must lie inside it.</param>
public readonly ref struct PartitionTableReader(ReadOnlySpan<byte> head, long volumeBytes)
{
    /// <summary>How much of a volume callers should read so any accepted table fits.</summary>
    public const int HeadBytes = 2 << 20;

    private readonly ReadOnlySpan<byte> _head = head;
    private readonly long _volumeBytes = volumeBytes;

    public PartitionTableError TryRead(out PartitionLayout? layout)
    {
        layout = null;
        if (_head.Length < MbrLayout.SectorSize || _volumeBytes < MbrLayout.SectorSize)
        {
            return PartitionTableError.Truncated;
        }

        // GPT first: its header at LBA 1, for 512-byte and then 4 KiB logical sectors.
        foreach (var sectorSize in (ReadOnlySpan<int>)[512, 4096])
        {
            if (_head.Length >= sectorSize + 8 && new GptReader(_head[sectorSize..], sectorSize).HasSignature)
            {
                return TryReadGpt(sectorSize, out layout);
            }
        }

        var mbr = new MbrReader(_head);
        if (mbr.HasBootSignature && mbr.TryRead(_volumeBytes / 512, out var probe) == PartitionTableError.None
            && probe!.HasProtectiveEntry)
        {
            // A protective MBR without a GPT header behind it (or a head too short to see a 4 KiB-sector one).
            return _head.Length < 4096 + GptLayout.MinHeaderSize ? PartitionTableError.Truncated : PartitionTableError.BadSignature;
        }

        // A FAT boot sector carries 0x55AA too, so filesystems are probed before an MBR is believed.
        var fs = FilesystemProbe.Detect(_head);
        if (fs == FilesystemKind.Fat)
        {
            layout = new PartitionLayout(PartitionScheme.BareFilesystem, 512, null, null, fs);
            return PartitionTableError.None;
        }

        if (mbr.HasBootSignature)
        {
            var status = mbr.TryRead(_volumeBytes / 512, out var table);
            if (status == PartitionTableError.None && table!.Used.Any())
            {
                layout = new PartitionLayout(PartitionScheme.Mbr, 512, table, null, null);
                return PartitionTableError.None;
            }

            if (fs is null)
            {
                return status == PartitionTableError.None ? PartitionTableError.NotRecognised : status;
            }
        }

        if (fs is not null)
        {
            layout = new PartitionLayout(PartitionScheme.BareFilesystem, 512, null, null, fs);
            return PartitionTableError.None;
        }

        return PartitionTableError.NotRecognised;
    }

    private PartitionTableError TryReadGpt(int sectorSize, out PartitionLayout? layout)
    {
        layout = null;
        var volumeSectors = _volumeBytes / sectorSize;
        var status = new GptReader(_head.Slice(sectorSize, Math.Min(sectorSize, _head.Length - sectorSize)), sectorSize)
            .TryReadHeader(1, volumeSectors, out var header);
        if (status != PartitionTableError.None)
        {
            return status;
        }

        var entriesStart = header!.EntriesLba * sectorSize;
        if (entriesStart + header.EntriesByteLength > _head.Length)
        {
            return PartitionTableError.Truncated;
        }

        status = GptReader.TryReadEntries(_head.Slice((int)entriesStart, header.EntriesByteLength), header, out var entries);
        if (status != PartitionTableError.None)
        {
            return status;
        }

        // The MBR in front of a GPT is informational; a corrupt one is repaired when personalising.
        MbrPartitionTable? mbr = null;
        if (new MbrReader(_head).TryRead(long.MaxValue, out var protective) == PartitionTableError.None)
        {
            mbr = protective;
        }

        layout = new PartitionLayout(PartitionScheme.Gpt, sectorSize, mbr, new GptPartitionTable(header, entries!, sectorSize), null);
        return PartitionTableError.None;
    }
}
