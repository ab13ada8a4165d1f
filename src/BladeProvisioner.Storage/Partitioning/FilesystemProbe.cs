using System.Buffers.Binary;

namespace BladeProvisioner.Storage.Partitioning;

/// <summary>Recognises a filesystem superblock at the start of a span (a bare-filesystem donor).</summary>
internal static class FilesystemProbe
{
    /// <summary>Bytes a caller should supply so every probe can see its magic (btrfs sits at 64 KiB).</summary>
    public const int BytesNeeded = 0x10048;

    public static FilesystemKind? Detect(ReadOnlySpan<byte> head)
    {
        if (IsFat(head))
        {
            return FilesystemKind.Fat;
        }

        // XFS: "XFSB" big-endian magic at offset 0 of the primary superblock.
        if (head.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(head) == 0x58465342u)
        {
            return FilesystemKind.Xfs;
        }

        // ext2/3/4: s_magic 0xEF53 at superblock (byte 1024) + 56.
        if (head.Length >= 1082 && BinaryPrimitives.ReadUInt16LittleEndian(head.Slice(1080, 2)) == 0xEF53)
        {
            return FilesystemKind.Ext;
        }

        // btrfs: "_BHRfS_M" at superblock (64 KiB) + 0x40.
        if (head.Length >= BytesNeeded && head.Slice(0x10040, 8).SequenceEqual("_BHRfS_M"u8))
        {
            return FilesystemKind.Btrfs;
        }

        return null;
    }

    /// <summary>True when the FAT volume is FAT32 (MBR type 0x0C rather than 0x0E).</summary>
    public static bool IsFat32(ReadOnlySpan<byte> head) => head.Length >= 90 && head.Slice(82, 5).SequenceEqual("FAT32"u8);

    // A FAT boot sector also ends in 0x55AA, so it must be told apart from an MBR by its BIOS parameter block.
    private static bool IsFat(ReadOnlySpan<byte> head)
    {
        if (head.Length < 512)
        {
            return false;
        }

        var jump = head[0] == 0xEB && head[2] == 0x90 || head[0] == 0xE9;
        var bytesPerSector = BinaryPrimitives.ReadUInt16LittleEndian(head.Slice(11, 2));
        var sectorsPerCluster = head[13];
        var reserved = BinaryPrimitives.ReadUInt16LittleEndian(head.Slice(14, 2));
        var fats = head[16];
        var label = head.Slice(54, 3).SequenceEqual("FAT"u8) || head.Slice(82, 5).SequenceEqual("FAT32"u8);
        return jump && label
            && bytesPerSector is 512 or 1024 or 2048 or 4096
            && sectorsPerCluster != 0 && (sectorsPerCluster & (sectorsPerCluster - 1)) == 0
            && reserved != 0 && fats is 1 or 2;
    }
}
