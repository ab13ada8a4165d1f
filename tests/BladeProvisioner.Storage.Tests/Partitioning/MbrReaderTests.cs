using System.Buffers.Binary;
using BladeProvisioner.Storage.Partitioning;
using BladeProvisioner.Storage.Partitioning.Mbr;

namespace BladeProvisioner.Storage.Tests.Partitioning;

public sealed class MbrReaderTests
{
    private const long VolumeSectors = 4096;

    public static TheoryData<int> EveryShortLength() => [.. Enumerable.Range(0, 512)];

    private static byte[] Valid() => TestDisks.Mbr(0xCAFEF00D, (0x80, 0x0C, 2048, 1024), (0, 0x83, 3072, 1024));

    [Fact]
    public void ReadsSignatureAndEntries()
    {
        Assert.Equal(PartitionTableError.None, new MbrReader(Valid()).TryRead(VolumeSectors, out var table));
        Assert.Equal(0xCAFEF00Du, table!.DiskSignature);
        Assert.Equal(
            [new MbrPartitionEntry(0, 0x80, 0x0C, 2048, 1024), new MbrPartitionEntry(1, 0, 0x83, 3072, 1024)],
            table.Used.ToArray());
    }

    [Theory]
    [MemberData(nameof(EveryShortLength))]
    public void EveryTruncationIsTruncated(int length) =>
        Assert.Equal(PartitionTableError.Truncated, new MbrReader(Valid().AsSpan(0, length)).TryRead(VolumeSectors, out _));

    [Theory]
    [InlineData("no boot signature", PartitionTableError.BadSignature)]
    [InlineData("byte-swapped boot signature", PartitionTableError.BadSignature)]
    [InlineData("boot indicator 0x01", PartitionTableError.BadBootIndicator)]
    [InlineData("boot indicator 0x7f on an empty slot", PartitionTableError.BadBootIndicator)]
    [InlineData("start at LBA 0", PartitionTableError.EntryOutOfRange)]
    [InlineData("zero length", PartitionTableError.EntryOutOfRange)]
    [InlineData("ends past the volume", PartitionTableError.EntryOutOfRange)]
    [InlineData("32-bit wrap-around", PartitionTableError.EntryOutOfRange)]
    [InlineData("overlapping partitions", PartitionTableError.Overlap)]
    [InlineData("identical partitions", PartitionTableError.Overlap)]
    [InlineData("adjacent partitions", PartitionTableError.None)]
    [InlineData("garbage in an empty slot", PartitionTableError.None)]
    [InlineData("protective entry larger than the volume", PartitionTableError.None)]
    public void BadFieldsAreReported(string mutation, PartitionTableError expected)
    {
        var sector = Valid();
        var e1 = sector.AsSpan(MbrLayout.EntryOffset(1), 16);
        var e3 = sector.AsSpan(MbrLayout.EntryOffset(3), 16);
        switch (mutation)
        {
            case "no boot signature": sector[510] = 0; break;
            case "byte-swapped boot signature": sector[510] = 0xAA; sector[511] = 0x55; break;
            case "boot indicator 0x01": e1[0] = 0x01; break;
            case "boot indicator 0x7f on an empty slot": e3[0] = 0x7F; break;
            case "start at LBA 0": BinaryPrimitives.WriteUInt32LittleEndian(e1[8..], 0); break;
            case "zero length": BinaryPrimitives.WriteUInt32LittleEndian(e1[12..], 0); break;
            case "ends past the volume": BinaryPrimitives.WriteUInt32LittleEndian(e1[12..], 1025); break;
            case "32-bit wrap-around":
                BinaryPrimitives.WriteUInt32LittleEndian(e1[8..], uint.MaxValue);
                BinaryPrimitives.WriteUInt32LittleEndian(e1[12..], uint.MaxValue);
                break;
            case "overlapping partitions": BinaryPrimitives.WriteUInt32LittleEndian(e1[8..], 3071); break;
            case "identical partitions": sector.AsSpan(MbrLayout.EntryOffset(0), 16).CopyTo(e1); break;
            case "adjacent partitions": BinaryPrimitives.WriteUInt32LittleEndian(e1[12..], 1024); break;
            case "garbage in an empty slot": e3.Fill(0x5A); e3[0] = 0; e3[4] = 0; break;
            case "protective entry larger than the volume":
                MbrLayout.WriteEntry(sector, 3, 0, 0xEE, 1, uint.MaxValue);
                break;
            default: throw new ArgumentOutOfRangeException(nameof(mutation));
        }

        Assert.Equal(expected, new MbrReader(sector).TryRead(VolumeSectors, out var table));
        Assert.Equal(expected == PartitionTableError.None, table is not null);
    }

    [Fact]
    public void ChsFieldsFollowTheLbaOnes()
    {
        var sector = new byte[512];
        MbrLayout.WriteEntry(sector, 0, 0, 0x83, 2048, 2048);
        MbrLayout.WriteEntry(sector, 1, 0, 0x83, 20_000_000, 1000);

        // LBA 2048 = C0 H32 S33; LBA 4095 = C0 H65 S1; beyond cylinder 1023 the FE FF FF marker.
        Assert.Equal(new byte[] { 32, 33, 0 }, sector.AsSpan(447, 3).ToArray());
        Assert.Equal(new byte[] { 65, 1, 0 }, sector.AsSpan(451, 3).ToArray());
        Assert.Equal(new byte[] { 0xFE, 0xFF, 0xFF }, sector.AsSpan(463, 3).ToArray());
    }
}
