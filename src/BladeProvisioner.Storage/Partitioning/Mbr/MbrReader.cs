using System.Buffers.Binary;

namespace BladeProvisioner.Storage.Partitioning.Mbr;

/// <summary>
/// Reads and validates block 0 as an MBR. Never throws: every problem comes back as a
/// <see cref="PartitionTableError"/>. Layout per the IBM PC MBR: signature 0x55AA at 510, disk signature at 440,
/// four 16-byte entries from 446.
/// </summary>
public readonly ref struct MbrReader(ReadOnlySpan<byte> sector)
{
    private readonly ReadOnlySpan<byte> _sector = sector;

    public bool HasBootSignature =>
        _sector.Length >= MbrLayout.SectorSize
        && _sector[MbrLayout.BootSignatureOffset] == 0x55 && _sector[MbrLayout.BootSignatureOffset + 1] == 0xAA;

    /// <param name="volumeSectors">Size of the volume in 512-byte sectors: no partition may end beyond it.</param>
    /// <param name="table">The table when the result is <see cref="PartitionTableError.None"/>.</param>
    public PartitionTableError TryRead(long volumeSectors, out MbrPartitionTable? table)
    {
        table = null;
        if (_sector.Length < MbrLayout.SectorSize)
        {
            return PartitionTableError.Truncated;
        }

        if (!HasBootSignature)
        {
            return PartitionTableError.BadSignature;
        }

        var entries = new MbrPartitionEntry[4];
        for (var slot = 0; slot < 4; slot++)
        {
            var e = _sector.Slice(MbrLayout.EntryOffset(slot), MbrLayout.EntrySize);
            var entry = new MbrPartitionEntry(
                slot,
                e[0],
                e[4],
                BinaryPrimitives.ReadUInt32LittleEndian(e.Slice(8, 4)),
                BinaryPrimitives.ReadUInt32LittleEndian(e.Slice(12, 4)));
            if (entry.BootIndicator is not 0x00 and not 0x80)
            {
                return PartitionTableError.BadBootIndicator;
            }

            if (!entry.IsEmpty)
            {
                if (entry.FirstLba == 0 || entry.SectorCount == 0)
                {
                    return PartitionTableError.EntryOutOfRange;
                }

                // A protective entry may claim 0xFFFFFFFF sectors whatever the disk size (UEFI 2.10 §5.2.3).
                if (entry.Type != MbrPartitionEntry.ProtectiveType && entry.EndLba > volumeSectors)
                {
                    return PartitionTableError.EntryOutOfRange;
                }
            }

            entries[slot] = entry;
        }

        for (var i = 0; i < 4; i++)
        {
            for (var j = i + 1; j < 4; j++)
            {
                var a = entries[i];
                var b = entries[j];
                if (!a.IsEmpty && !b.IsEmpty && a.Type != MbrPartitionEntry.ProtectiveType
                    && b.Type != MbrPartitionEntry.ProtectiveType
                    && a.FirstLba < b.EndLba && b.FirstLba < a.EndLba)
                {
                    return PartitionTableError.Overlap;
                }
            }
        }

        table = new MbrPartitionTable(
            BinaryPrimitives.ReadUInt32LittleEndian(_sector.Slice(MbrLayout.DiskSignatureOffset, 4)),
            entries);
        return PartitionTableError.None;
    }
}
