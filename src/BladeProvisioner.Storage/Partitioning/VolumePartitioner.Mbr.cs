using BladeProvisioner.Storage.Partitioning.Mbr;
using Microsoft.Win32.SafeHandles;

namespace BladeProvisioner.Storage.Partitioning;

public sealed partial class VolumePartitioner
{
    // MBR LBAs are 32-bit: nothing past 2 TiB (512-byte sectors) is addressable.
    private const long MbrAddressableSectors = 1L << 32;

    private async Task<PersonalizeResult> PersonalizeMbrAsync(
        SafeFileHandle file, byte[] head, MbrPartitionTable table, long volumeSize, PersonalizeOptions options, CancellationToken ct)
    {
        var sector = head.AsSpan(0, MbrLayout.SectorSize).ToArray();
        if (options.NewIdentifiers)
        {
            MbrLayout.WriteDiskSignature(sector, IdentifiersFor(options).MbrSignature(table.DiskSignature));
        }

        var grown = false;
        if (options.GrowLastPartition)
        {
            var last = table.Used.MaxBy(e => e.EndLba);
            var end = Math.Min(volumeSize / MbrLayout.SectorSize, MbrAddressableSectors);
            if (last.IsExtended)
            {
                // Growing it would mean walking and rewriting the EBR chain of its logical partitions.
                LogExtendedNotGrown(logger, last.Slot);
            }
            else if (end > last.EndLba)
            {
                MbrLayout.WriteSectorCount(sector, last.Slot, last.FirstLba, (uint)(end - last.FirstLba));
                grown = true;
            }
        }

        await WriteAsync(file, 0, sector, ct);
        Flush(file);
        var layout = await ReadVerifiedLayoutAsync(file, volumeSize, ct);
        return new PersonalizeResult(PartitionScheme.Mbr, FormatMbrId(table.DiskSignature), layout, grown);
    }

    /// <summary>A fresh MBR with one partition from the plan's offset to the end, for a bare-filesystem donor.</summary>
    private static async Task WriteSinglePartitionMbrAsync(
        SafeFileHandle file, long volumeSize, long offset, byte type, DiskIdentifiers ids, CancellationToken ct)
    {
        var sector = new byte[MbrLayout.SectorSize];
        var first = (uint)(offset / MbrLayout.SectorSize);
        var end = Math.Min(volumeSize / MbrLayout.SectorSize, MbrAddressableSectors);
        MbrLayout.WriteDiskSignature(sector, ids.MbrSignature(0));
        MbrLayout.WriteEntry(sector, 0, 0x80, type, first, (uint)(end - first));
        MbrLayout.WriteBootSignature(sector);
        await WriteAsync(file, 0, sector, ct);
        Flush(file);
    }

    /// <summary>
    /// Updates the MBR in front of a GPT: the protective entry covers the new size (when it covered the old one; a
    /// hybrid MBR's other entries are left alone); a missing or damaged MBR is replaced by a protective one.
    /// </summary>
    private static byte[] UpdateProtectiveMbr(byte[] head, MbrPartitionTable? mbr, long volumeSectors, long oldBackupLba, DiskIdentifiers? newIdentifiers)
    {
        var sector = head.AsSpan(0, MbrLayout.SectorSize).ToArray();
        var count = (uint)Math.Min(volumeSectors - 1, uint.MaxValue);
        if (mbr is null || !mbr.HasProtectiveEntry)
        {
            sector.AsSpan(MbrLayout.DiskSignatureOffset, MbrLayout.BootSignatureOffset - MbrLayout.DiskSignatureOffset).Clear();
            MbrLayout.WriteEntry(sector, 0, 0, MbrPartitionEntry.ProtectiveType, 1, count);
            MbrLayout.WriteBootSignature(sector);
            return sector;
        }

        // A pure protective MBR always covers the disk; a hybrid one's 0xEE entry only when it covered the old end.
        var pure = mbr.Used.Count() == 1;
        foreach (var e in mbr.Entries)
        {
            if (e.Type == MbrPartitionEntry.ProtectiveType && e.FirstLba == 1
                && (pure || e.SectorCount == uint.MaxValue || e.EndLba >= oldBackupLba + 1))
            {
                MbrLayout.WriteSectorCount(sector, e.Slot, 1, count);
            }
        }

        if (newIdentifiers is not null && mbr.DiskSignature != 0)
        {
            MbrLayout.WriteDiskSignature(sector, newIdentifiers.MbrSignature(mbr.DiskSignature));
        }

        return sector;
    }

    private static DiskIdentifiers IdentifiersFor(PersonalizeOptions options) =>
        new(options.IdentifierSeed is { } seed ? [.. seed] : null);
}
