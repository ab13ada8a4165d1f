using System.IO.Compression;
using BladeProvisioner.Storage.Images.Initramfs;

namespace BladeProvisioner.Storage.Tests.Images.Initramfs;

/// <summary><see cref="CpioArchive"/> on bytes written by <see cref="Newc"/>: formats, padding, concatenation, and every way an archive can be cut or lie.</summary>
public sealed class CpioArchiveTests
{
    private static readonly InitramfsLimits Limits = new();

    private static async Task<(CpioStatus Status, InitramfsContents Contents, CpioArchive Archive)> ReadAsync(byte[] bytes, InitramfsLimits? limits = null)
    {
        var contents = new InitramfsContents();
        var archive = new CpioArchive(new MemoryStream(bytes), contents, limits ?? Limits);
        var status = await archive.ReadAsync(TestContext.Current.CancellationToken);
        return (status, contents, archive);
    }

    private static Newc Sample(string magic = "070701") => new Newc()
        .Entry(".", [], 0x41ED, magic)
        .Entry("init", "#!/bin/sh\nexec iscsistart -b\n"u8.ToArray(), 0x81ED, magic)
        .Entry("./sbin/iscsistart", new byte[1001], 0x81ED, magic)
        .Entry("bin/sh", "busybox"u8.ToArray(), 0xA1FF, magic)
        .Entry("TRAILER!!!", [], 0, magic);

    [Theory]
    [InlineData("070701")]
    [InlineData("070702")]
    public async Task ReadsNewcWithAndWithoutChecksums(string magic)
    {
        var (status, contents, archive) = await ReadAsync(Sample(magic).ToArray());

        Assert.Equal(CpioStatus.Complete, status);
        Assert.Equal(4, contents.Entries);
        Assert.True(contents.Has("sbin/iscsistart"));
        Assert.True(contents.Has("bin/sh"));
        Assert.Equal("#!/bin/sh\nexec iscsistart -b\n", contents.Text("init"));
        Assert.Null(contents.Text("bin/sh")); // a symlink's target is never kept as a file
        Assert.Null(contents.Problem);
        Assert.Equal(Sample(magic).ToArray().Length, archive.Position);
    }

    [Fact]
    public async Task ConcatenatedArchivesWithZeroPaddingAreReadAsOne()
    {
        var bytes = new Newc().File("kernel/x86/microcode/GenuineIntel.bin", "ucode").Trailer().Zeros(508)
            .File("conf/conf.d/iscsi", "ISCSI_AUTO=true\n").Trailer().Zeros(4096).ToArray();

        var (status, contents, _) = await ReadAsync(bytes);

        Assert.Equal(CpioStatus.Complete, status);
        Assert.True(contents.Has("kernel/x86/microcode/GenuineIntel.bin"));
        Assert.Equal("ISCSI_AUTO=true\n", contents.Text("conf/conf.d/iscsi"));
        Assert.Equal(2, contents.Entries);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(512)]
    public async Task AnArchiveFollowedByCompressedDataHandsOverItsFirstBytes(int padding)
    {
        var gzip = new MemoryStream();
        await using (var z = new GZipStream(gzip, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write(Sample().ToArray());
        }

        var early = new Newc().File("early", "x").Trailer().Zeros(padding).ToArray();
        var (status, _, archive) = await ReadAsync([.. early, .. gzip.ToArray()]);

        Assert.Equal(CpioStatus.MoreData, status);
        Assert.Equal("gzip", CpioArchive.CompressionOf(archive.Leftover.Span));
        Assert.Equal(early.Length, archive.Position - archive.Leftover.Length); // where the compressed archive starts
    }

    [Fact]
    public async Task EveryTruncationIsReportedNeverThrown()
    {
        var whole = Sample().ToArray();
        for (var cut = 1; cut < whole.Length - 4; cut += 7)
        {
            var (status, _, _) = await ReadAsync(whole[..cut]);
            Assert.True(status is CpioStatus.Truncated, $"cut at {cut} of {whole.Length}: {status}");
        }
    }

    [Fact]
    public async Task EmptyInputIsTruncated() => Assert.Equal(CpioStatus.Truncated, (await ReadAsync([])).Status);

    [Theory]
    [InlineData("070707")] // odc, not newc
    [InlineData("07070X")]
    [InlineData("ABCDEF")]
    public async Task OtherMagicIsABadHeader(string magic) =>
        Assert.Equal(CpioStatus.BadHeader, (await ReadAsync(new Newc().Entry("init", [1, 2, 3], 0x81ED, magic).Trailer().ToArray())).Status);

    [Theory]
    [InlineData(0)]
    [InlineData(4097)]
    [InlineData(int.MaxValue)]
    public async Task ANameSizeOfNothingOrTooMuchIsABadHeader(int nameSize) =>
        Assert.Equal(CpioStatus.BadHeader, (await ReadAsync(new Newc().Entry("init", [1], 0x81ED, declaredNameSize: nameSize).Trailer().ToArray())).Status);

    [Fact]
    public async Task NonHexFieldIsABadHeader()
    {
        var bytes = Sample().ToArray();
        bytes[6 + (6 * 8)] = (byte)'Z'; // first entry's c_filesize

        Assert.Equal(CpioStatus.BadHeader, (await ReadAsync(bytes)).Status);
    }

    [Fact]
    public async Task AGiganticDeclaredFileSizeStopsBeforeAnyOfItIsRead()
    {
        var bytes = new Newc().File("init", "ok").Entry("huge", new byte[16], 0x81A4, declaredSize: 0xFFFFFFFF).ToArray();

        var (status, contents, archive) = await ReadAsync(bytes);

        Assert.Equal(CpioStatus.TooLarge, status);
        Assert.Contains("4294967295 bytes, past the limit", contents.Problem, StringComparison.Ordinal);
        Assert.True(archive.Position < bytes.Length, "nothing of the huge entry's data was read");
    }

    [Fact]
    public async Task AnUnpackedTotalOverTheLimitStops()
    {
        var archive = new Newc();
        for (var i = 0; i < 10; i++)
        {
            archive.Entry($"blob{i}", new byte[1000], 0x81A4);
        }

        var (status, contents, _) = await ReadAsync(archive.Trailer().ToArray(), Limits with { MaxUnpackedBytes = 4500 });

        Assert.Equal(CpioStatus.TooLarge, status);
        Assert.True(contents.Entries < 5, $"{contents.Entries} entries read");
    }

    [Fact]
    public async Task MoreEntriesThanTheLimitStops()
    {
        var (status, contents, _) = await ReadAsync(Sample().ToArray(), Limits with { MaxEntries = 2 });

        Assert.Equal(CpioStatus.TooManyEntries, status);
        Assert.Equal("more than 2 entries", contents.Problem);
    }

    [Fact]
    public async Task AConfigurationFileOverTheKeptSizeIsListedButNotKept()
    {
        var (status, contents, _) = await ReadAsync(new Newc().File("conf/conf.d/big", new string('x', 300)).Trailer().ToArray(), Limits with { MaxKeptFileBytes = 100 });

        Assert.Equal(CpioStatus.Complete, status);
        Assert.True(contents.Has("conf/conf.d/big"));
        Assert.Null(contents.Text("conf/conf.d/big"));
    }

    [Theory]
    [InlineData(new byte[] { 0x1F, 0x8B, 8, 0 }, "gzip")]
    [InlineData(new byte[] { 0x28, 0xB5, 0x2F, 0xFD }, "zstd")]
    [InlineData(new byte[] { 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00 }, "xz")]
    [InlineData(new byte[] { 0x02, 0x21, 0x4C, 0x18 }, "lz4")]
    [InlineData(new byte[] { 0x30, 0x37, 0x30, 0x37, 0x30, 0x31 }, null)]
    [InlineData(new byte[] { 0x1F }, null)]
    public void CompressionIsKnownByItsMagic(byte[] head, string? kind) => Assert.Equal(kind, CpioArchive.CompressionOf(head));
}
