using System.Buffers.Binary;

namespace BladeProvisioner.Storage.Partitioning.Mbr;

/// <summary>Byte offsets of the MBR and the in-place writers used when personalising one.</summary>
internal static class MbrLayout
{
    public const int SectorSize = 512;
    public const int DiskSignatureOffset = 440;
    public const int EntriesOffset = 446;
    public const int EntrySize = 16;
    public const int BootSignatureOffset = 510;

    // CHS addressing tops out at cylinder 1023, head 254, sector 63; beyond that tools write this marker.
    private const long ChsLimit = 1024L * 255 * 63;

    public static int EntryOffset(int slot) => EntriesOffset + (slot * EntrySize);

    public static void WriteDiskSignature(Span<byte> sector, uint signature) =>
        BinaryPrimitives.WriteUInt32LittleEndian(sector.Slice(DiskSignatureOffset, 4), signature);

    public static void WriteBootSignature(Span<byte> sector)
    {
        sector[BootSignatureOffset] = 0x55;
        sector[BootSignatureOffset + 1] = 0xAA;
    }

    /// <summary>Writes a whole slot, CHS fields derived from the LBA ones (the LBA fields are what firmware uses).</summary>
    public static void WriteEntry(Span<byte> sector, int slot, byte bootIndicator, byte type, uint firstLba, uint sectorCount)
    {
        var e = sector.Slice(EntryOffset(slot), EntrySize);
        e[0] = bootIndicator;
        WriteChs(e.Slice(1, 3), firstLba);
        e[4] = type;
        WriteChs(e.Slice(5, 3), sectorCount == 0 ? firstLba : (long)firstLba + sectorCount - 1);
        BinaryPrimitives.WriteUInt32LittleEndian(e.Slice(8, 4), firstLba);
        BinaryPrimitives.WriteUInt32LittleEndian(e.Slice(12, 4), sectorCount);
    }

    /// <summary>Changes a slot's length only, keeping its other bytes; the end CHS follows the new length.</summary>
    public static void WriteSectorCount(Span<byte> sector, int slot, uint firstLba, uint sectorCount)
    {
        var e = sector.Slice(EntryOffset(slot), EntrySize);
        WriteChs(e.Slice(5, 3), (long)firstLba + sectorCount - 1);
        BinaryPrimitives.WriteUInt32LittleEndian(e.Slice(12, 4), sectorCount);
    }

    // Geometry 255 heads x 63 sectors, the convention of every current partitioning tool.
    private static void WriteChs(Span<byte> chs, long lba)
    {
        if (lba >= ChsLimit)
        {
            chs[0] = 0xFE;
            chs[1] = 0xFF;
            chs[2] = 0xFF;
            return;
        }

        var cylinder = lba / (255 * 63);
        var head = lba / 63 % 255;
        var sector = (lba % 63) + 1;
        chs[0] = (byte)head;
        chs[1] = (byte)(sector | ((cylinder >> 2) & 0xC0));
        chs[2] = (byte)(cylinder & 0xFF);
    }
}
