using System.Buffers.Binary;
using BladeProvisioner.Storage.Partitioning;
using BladeProvisioner.Storage.Partitioning.Gpt;

namespace BladeProvisioner.Storage.Tests.Partitioning;

public sealed class GptReaderTests
{
    private const long DiskSectors = 2048;
    private const long DiskBytes = DiskSectors * 512;

    public static TheoryData<int> EveryShortHeaderLength() => [.. Enumerable.Range(0, 92)];

    [Fact]
    public void ReadsHeaderAndEntriesSortedByStart()
    {
        var image = TestDisks.StandardGpt();

        Assert.Equal(PartitionTableError.None, new PartitionTableReader(image, DiskBytes).TryRead(out var layout));

        Assert.Equal(PartitionScheme.Gpt, layout!.Scheme);
        var gpt = layout.Gpt!;
        Assert.Equal(2047, gpt.Header.BackupLba);
        Assert.Equal(34, gpt.Header.FirstUsableLba);
        Assert.Equal(2014, gpt.Header.LastUsableLba);
        Assert.Equal([34L, 100L, 1000L], gpt.Entries.Select(e => e.FirstLba));
        Assert.Equal("part2", gpt.Entries[1].Name);
        Assert.True(layout.Mbr!.HasProtectiveEntry);
    }

    [Theory]
    [MemberData(nameof(EveryShortHeaderLength))]
    public void EveryHeaderTruncationIsTruncated(int length)
    {
        var header = TestDisks.StandardGpt().AsSpan(512, length);
        Assert.Equal(PartitionTableError.Truncated, new GptReader(header, 512).TryReadHeader(1, DiskSectors, out _));
    }

    [Fact]
    public void EveryEntryArrayTruncationIsTruncated()
    {
        var image = TestDisks.StandardGpt();
        Assert.Equal(PartitionTableError.None, new GptReader(image.AsSpan(512, 512), 512).TryReadHeader(1, DiskSectors, out var header));
        var entries = image.AsSpan(1024, 128 * 128);
        for (var length = 0; length < entries.Length; length++)
        {
            Assert.Equal(PartitionTableError.Truncated, GptReader.TryReadEntries(entries[..length], header!, out _));
        }

        Assert.Equal(PartitionTableError.None, GptReader.TryReadEntries(entries, header!, out _));
    }

    [Fact]
    public void EveryTruncationOfTheDiskHeadIsTruncated()
    {
        var image = TestDisks.StandardGpt();
        for (var length = 0; length < image.Length; length++)
        {
            Assert.Equal(PartitionTableError.Truncated, new PartitionTableReader(image.AsSpan(0, length), DiskBytes).TryRead(out _));
        }
    }

    [Theory]
    [InlineData("signature", PartitionTableError.BadSignature)]
    [InlineData("revision 2.0", PartitionTableError.BadHeaderField)]
    [InlineData("header size 91", PartitionTableError.BadHeaderField)]
    [InlineData("header size 513", PartitionTableError.BadHeaderField)]
    [InlineData("header CRC", PartitionTableError.BadHeaderCrc)]
    [InlineData("disk GUID without CRC update", PartitionTableError.BadHeaderCrc)]
    [InlineData("own LBA 2", PartitionTableError.BadHeaderField)]
    [InlineData("entry size 0", PartitionTableError.BadHeaderField)]
    [InlineData("entry size 127", PartitionTableError.BadHeaderField)]
    [InlineData("entry size 192", PartitionTableError.BadHeaderField)]
    [InlineData("entry size 8192", PartitionTableError.BadHeaderField)]
    [InlineData("entry count 65536", PartitionTableError.TooManyEntries)]
    [InlineData("entry count 2^32-1", PartitionTableError.TooManyEntries)]
    [InlineData("backup LBA past the end", PartitionTableError.Truncated)]
    [InlineData("backup LBA 2^64-1", PartitionTableError.Truncated)]
    [InlineData("last usable past the end", PartitionTableError.Truncated)]
    [InlineData("entries LBA past the end", PartitionTableError.Truncated)]
    [InlineData("first usable after last usable", PartitionTableError.BadHeaderField)]
    [InlineData("backup LBA equals own LBA", PartitionTableError.BadHeaderField)]
    [InlineData("entries LBA 1", PartitionTableError.BadHeaderField)]
    [InlineData("entries overlap usable area", PartitionTableError.Overlap)]
    [InlineData("last usable reaches the backup header", PartitionTableError.Overlap)]
    [InlineData("entries outside the head", PartitionTableError.Truncated)]
    [InlineData("entries CRC", PartitionTableError.BadEntriesCrc)]
    [InlineData("entry changed without CRC update", PartitionTableError.BadEntriesCrc)]
    [InlineData("partition before first usable", PartitionTableError.EntryOutOfRange)]
    [InlineData("partition after last usable", PartitionTableError.EntryOutOfRange)]
    [InlineData("partition ends before it starts", PartitionTableError.EntryOutOfRange)]
    [InlineData("partition last LBA 2^64-1", PartitionTableError.EntryOutOfRange)]
    [InlineData("overlapping partitions", PartitionTableError.Overlap)]
    [InlineData("protective MBR without GPT signature", PartitionTableError.BadSignature)]
    [InlineData("entry size 256 with 64 entries", PartitionTableError.None)]
    [InlineData("damaged protective MBR", PartitionTableError.None)]
    public void BadFieldsAreReported(string mutation, PartitionTableError expected)
    {
        var image = TestDisks.StandardGpt();
        var h = image.AsSpan(512, 512);
        var entries = image.AsSpan(1024);
        var fixEntries = true;
        var fixHeader = true;
        switch (mutation)
        {
            case "signature": h[0] = (byte)'e'; break;
            case "revision 2.0": U32(h, 8, 0x00020000); break;
            case "header size 91": U32(h, 12, 91); break;
            case "header size 513": U32(h, 12, 513); break;
            case "header CRC": h[16] ^= 1; fixHeader = false; break;
            case "disk GUID without CRC update": h[60] ^= 0x40; fixHeader = false; break;
            case "own LBA 2": U64(h, 24, 2); break;
            case "entry size 0": U32(h, 84, 0); break;
            case "entry size 127": U32(h, 84, 127); break;
            case "entry size 192": U32(h, 84, 192); break;
            case "entry size 8192": U32(h, 84, 8192); break;
            case "entry count 65536": U32(h, 80, 65536); break;
            case "entry count 2^32-1": U32(h, 80, uint.MaxValue); break;
            case "backup LBA past the end": U64(h, 32, DiskSectors); break;
            case "backup LBA 2^64-1": U64(h, 32, ulong.MaxValue); break;
            case "last usable past the end": U64(h, 48, DiskSectors); break;
            case "entries LBA past the end": U64(h, 72, DiskSectors + 5); break;
            case "first usable after last usable": U64(h, 40, 2015); break;
            case "backup LBA equals own LBA": U64(h, 32, 1); break;
            case "entries LBA 1": U64(h, 72, 1); break;
            case "entries overlap usable area": U64(h, 40, 20); U64(entries, 32, 20); break;
            case "last usable reaches the backup header": U64(h, 48, 2047); break;
            case "entries outside the head": U64(h, 72, 40); U64(h, 40, 72); U64(entries, 32, 72); fixEntries = false; break;
            case "entries CRC": U32(h, 88, 0x12345678); fixEntries = false; break;
            case "entry changed without CRC update": entries[200] ^= 1; fixEntries = false; break;
            case "partition before first usable": U64(entries, 32, 33); break;
            case "partition after last usable": U64(entries, 256 + 40, 2015); break;
            case "partition ends before it starts": U64(entries, 128 + 40, 99); break;
            case "partition last LBA 2^64-1": U64(entries, 256 + 40, ulong.MaxValue); break;
            case "overlapping partitions": U64(entries, 128 + 32, 99); break;
            case "protective MBR without GPT signature": h.Clear(); fixHeader = false; fixEntries = false; image = [.. image, .. new byte[4096]]; break;
            case "entry size 256 with 64 entries": U32(h, 84, 256); U32(h, 80, 64); Respace(entries); break;
            case "damaged protective MBR": image[510] = 0; break;
            default: throw new ArgumentOutOfRangeException(nameof(mutation));
        }

        if (fixHeader)
        {
            TestDisks.FixCrcs(image, fixEntries);
        }

        Assert.Equal(expected, new PartitionTableReader(image, DiskBytes).TryRead(out var layout));
        Assert.Equal(expected == PartitionTableError.None, layout is not null);
    }

    [Fact]
    public void FourKiBSectorGptIsFound()
    {
        var image = TestDisks.GptHead(4096, 1024, 128, (GptPartitionTypes.LinuxFilesystem, 256, 1000));

        Assert.Equal(PartitionTableError.None, new PartitionTableReader(image, 1024L * 4096).TryRead(out var layout));

        Assert.Equal(4096, layout!.SectorSize);
        Assert.Equal(256, layout.Gpt!.Entries[0].FirstLba);
    }

    private static void U32(Span<byte> s, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(s[at..], v);

    private static void U64(Span<byte> s, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(s[at..], v);

    // Re-lays the three 128-byte entries into 256-byte slots.
    private static void Respace(Span<byte> entries)
    {
        var copy = entries[..(3 * 128)].ToArray();
        entries[..(3 * 256)].Clear();
        for (var i = 0; i < 3; i++)
        {
            copy.AsSpan(i * 128, 128).CopyTo(entries[(i * 256)..]);
        }
    }
}
