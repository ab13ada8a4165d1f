using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace BladeProvisioner.Storage.Partitioning.Gpt;

/// <summary>Field offsets of the GPT header and entries (UEFI 2.10 tables 5-5 and 5-6) and their writers.</summary>
internal static class GptLayout
{
    public const int MinHeaderSize = 92;
    public const uint Revision1 = 0x00010000;
    public const int HeaderCrcOffset = 16;
    public const int DefaultEntryCount = 128;
    public const int DefaultEntrySize = 128;

    public const int EntryUniqueGuidOffset = 16;
    public const int EntryLastLbaOffset = 40;
    public const int EntryNameOffset = 56;
    public const int EntryNameBytes = 72;

    public static ReadOnlySpan<byte> Signature => "EFI PART"u8;

    /// <summary>Writes <paramref name="header"/> into a zeroed sector with a fresh header CRC.</summary>
    public static void WriteHeader(Span<byte> sector, GptHeader header)
    {
        sector.Clear();
        Signature.CopyTo(sector);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[8..], header.Revision);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[12..], header.HeaderSize);
        BinaryPrimitives.WriteUInt64LittleEndian(sector[24..], (ulong)header.CurrentLba);
        BinaryPrimitives.WriteUInt64LittleEndian(sector[32..], (ulong)header.BackupLba);
        BinaryPrimitives.WriteUInt64LittleEndian(sector[40..], (ulong)header.FirstUsableLba);
        BinaryPrimitives.WriteUInt64LittleEndian(sector[48..], (ulong)header.LastUsableLba);
        header.DiskGuid.TryWriteBytes(sector.Slice(56, 16));
        BinaryPrimitives.WriteUInt64LittleEndian(sector[72..], (ulong)header.EntriesLba);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[80..], header.EntryCount);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[84..], header.EntrySize);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[88..], header.EntriesCrc);
        var crc = Crc32.HashToUInt32(sector[..(int)header.HeaderSize]);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[HeaderCrcOffset..], crc);
    }

    public static void WriteEntry(Span<byte> entry, Guid type, Guid unique, long firstLba, long lastLba, string name)
    {
        entry.Clear();
        type.TryWriteBytes(entry[..16]);
        unique.TryWriteBytes(entry.Slice(EntryUniqueGuidOffset, 16));
        BinaryPrimitives.WriteUInt64LittleEndian(entry[32..], (ulong)firstLba);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[EntryLastLbaOffset..], (ulong)lastLba);
        var nameBytes = Encoding.Unicode.GetBytes(name);
        nameBytes.AsSpan(0, Math.Min(nameBytes.Length, EntryNameBytes)).CopyTo(entry.Slice(EntryNameOffset, EntryNameBytes));
    }

    public static string ReadName(ReadOnlySpan<byte> name)
    {
        var length = 0;
        while (length + 1 < name.Length && (name[length] | name[length + 1]) != 0)
        {
            length += 2;
        }

        return Encoding.Unicode.GetString(name[..length]);
    }
}
