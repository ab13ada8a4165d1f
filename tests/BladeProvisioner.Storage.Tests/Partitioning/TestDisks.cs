using System.Buffers.Binary;
using System.IO.Hashing;
using BladeProvisioner.Storage.Partitioning.Gpt;
using BladeProvisioner.Storage.Partitioning.Mbr;

namespace BladeProvisioner.Storage.Tests.Partitioning;

/// <summary>Valid MBR and GPT images built in memory, the starting point of every mutation.</summary>
internal static class TestDisks
{
    public const int Sector = 512;

    public static byte[] Mbr(uint signature, params (byte Boot, byte Type, uint First, uint Count)[] entries)
    {
        var sector = new byte[Sector];
        sector[0] = 0xFA; // some boot code that must survive personalising
        MbrLayout.WriteDiskSignature(sector, signature);
        for (var i = 0; i < entries.Length; i++)
        {
            MbrLayout.WriteEntry(sector, i, entries[i].Boot, entries[i].Type, entries[i].First, entries[i].Count);
        }

        MbrLayout.WriteBootSignature(sector);
        return sector;
    }

    /// <summary>
    /// The first 2 + entry-array sectors of a GPT disk of <paramref name="diskSectors"/> sectors (the backup is not
    /// included): protective MBR, header at LBA 1, entries at LBA 2.
    /// </summary>
    public static byte[] GptHead(long diskSectors, int entryCount, params (Guid Type, long First, long Last)[] parts) =>
        GptHead(Sector, diskSectors, entryCount, parts);

    public static byte[] GptHead(int sectorSize, long diskSectors, int entryCount, params (Guid Type, long First, long Last)[] parts)
    {
        var entriesBytes = entryCount * 128;
        var entriesSectors = (entriesBytes + sectorSize - 1) / sectorSize;
        var image = new byte[(2 + entriesSectors) * sectorSize];
        Mbr(0, (0, MbrPartitionEntry.ProtectiveType, 1, (uint)Math.Min(diskSectors - 1, uint.MaxValue))).CopyTo(image, 0);
        var entries = image.AsSpan(2 * sectorSize, entriesBytes);
        for (var i = 0; i < parts.Length; i++)
        {
            GptLayout.WriteEntry(entries.Slice(i * 128, 128), parts[i].Type, Guid.NewGuid(), parts[i].First, parts[i].Last, $"part{i + 1}");
        }

        var header = new GptHeader(
            0x00010000, 92, 1, diskSectors - 1, 2 + entriesSectors, diskSectors - 2 - entriesSectors, Guid.NewGuid(),
            2, (uint)entryCount, 128, Crc32.HashToUInt32(entries));
        GptLayout.WriteHeader(image.AsSpan(sectorSize, sectorSize), header);
        return image;
    }

    /// <summary>A 2048-sector disk with three partitions and the usual 128-entry array.</summary>
    public static byte[] StandardGpt() => GptHead(
        2048,
        128,
        (GptPartitionTypes.EfiSystem, 34, 99),
        (GptPartitionTypes.LinuxFilesystem, 100, 999),
        (GptPartitionTypes.LinuxFilesystem, 1000, 2014));

    /// <summary>Recomputes the entry-array CRC and then the header CRC after a test changed fields.</summary>
    public static void FixCrcs(Span<byte> image, bool entries = true)
    {
        var header = image.Slice(Sector, Sector);
        if (entries && header.Length >= 92)
        {
            var lba = BinaryPrimitives.ReadUInt64LittleEndian(header[72..]);
            var count = BinaryPrimitives.ReadUInt32LittleEndian(header[80..]);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(header[84..]);
            var start = (long)lba * Sector;
            var length = (long)count * size;
            if (start >= 0 && length >= 0 && start + length <= image.Length)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(header[88..], Crc32.HashToUInt32(image.Slice((int)start, (int)length)));
            }
        }

        var headerSize = BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
        if (headerSize is >= 20 and <= Sector)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 0);
            BinaryPrimitives.WriteUInt32LittleEndian(header[16..], Crc32.HashToUInt32(header[..(int)headerSize]));
        }
    }
}
