using System.Diagnostics;
using BladeProvisioner.Storage.Images;
using BladeProvisioner.Storage.Images.Initramfs;
using BladeProvisioner.Storage.Tests.Cloning.Support;

namespace BladeProvisioner.Storage.Tests.Images.Initramfs;

/// <summary>
/// <see cref="InitramfsReader"/> on initramfs files made with GNU cpio, gzip, xz and zstd: the layouts distributions ship
/// (early microcode cpio + compressed main) and hostile ones (truncated, a decompression bomb). Each ends in contents or
/// a problem, never an exception, within bounded time.
/// </summary>
public sealed class InitramfsReaderTests : IDisposable
{
    private static readonly Dictionary<string, string> InitramfsTools = new(StringComparer.Ordinal)
    {
        ["conf/initramfs.conf"] = "MODULES=most\n",
        ["scripts/functions"] = "# initramfs-tools\n",
        ["scripts/local-top/iscsi"] = "#!/bin/sh\n",
        ["conf/conf.d/iscsi"] = "ISCSI_AUTO=true\n",
        ["sbin/iscsistart"] = "ELF",
        ["init"] = "#!/bin/sh\n. /scripts/functions\n",
    };

    private readonly ScratchDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<InitramfsContents> ReadAsync(string file, InitramfsLimits? limits = null) =>
        new InitramfsReader(Tools.Runner, limits ?? new InitramfsLimits()).ReadAsync(file, TestContext.Current.CancellationToken);

    private async Task<string> MainCpioAsync() => await RealInitramfs.CpioAsync(RealInitramfs.Tree(_dir.File("main"), InitramfsTools), _dir.File("main.cpio"));

    private async Task<string> EarlyCpioAsync()
    {
        var early = await RealInitramfs.CpioAsync(RealInitramfs.Tree(_dir.File("early"), new Dictionary<string, string> { ["kernel/x86/microcode/GenuineIntel.bin"] = new('u', 5000) }), _dir.File("early.cpio"));
        await using (var f = new FileStream(early, FileMode.Append))
        {
            f.Write(new byte[512 - (f.Length % 512)]); // dracut pads the early archive to a block
        }

        return early;
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("xz")]
    [InlineData("zstd")]
    public async Task CompressedCpioIsReadWithItsConfiguration(string kind)
    {
        var file = await RealInitramfs.CompressAsync(await MainCpioAsync(), kind);

        var contents = await ReadAsync(file);

        Assert.Null(contents.Problem);
        Assert.Equal([$"{kind} cpio"], contents.Layers);
        Assert.True(contents.Has("scripts/local-top/iscsi"));
        Assert.Equal("ISCSI_AUTO=true\n", contents.Text("conf/conf.d/iscsi"));
        Assert.Equal("initramfs-tools", IscsiVerdict.Flavour(contents));
        Assert.Equal(PreflightFinding.Ok, IscsiVerdict.Judge(contents, "initrd", string.Empty).Level);
    }

    [Theory]
    [InlineData("xz")]
    [InlineData("zstd")]
    [InlineData("gzip")]
    public async Task EarlyMicrocodeCpioThenACompressedMainArchive(string kind)
    {
        var file = await RealInitramfs.ConcatenateAsync(_dir.File("initrd.img"), await EarlyCpioAsync(), await RealInitramfs.CompressAsync(await MainCpioAsync(), kind));

        var contents = await ReadAsync(file);

        Assert.Null(contents.Problem);
        Assert.Equal(["cpio", $"{kind} cpio"], contents.Layers);
        Assert.True(contents.Has("kernel/x86/microcode/GenuineIntel.bin"));
        Assert.True(contents.Has("sbin/iscsistart"));
        Assert.Equal("ISCSI_AUTO=true\n", contents.Text("conf/conf.d/iscsi"));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("xz")]
    [InlineData("zstd")]
    public async Task ATruncatedCompressedArchiveIsAProblem(string kind)
    {
        var whole = await RealInitramfs.CompressAsync(await MainCpioAsync(), kind);
        var cut = _dir.File("cut." + kind);
        var bytes = await File.ReadAllBytesAsync(whole, TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(cut, bytes[..(bytes.Length / 2)], TestContext.Current.CancellationToken);

        var contents = await ReadAsync(cut);

        Assert.NotNull(contents.Problem);
        Assert.Equal([$"{kind} cpio"], contents.Layers);
    }

    [Fact]
    public async Task GarbageAfterTheEarlyArchiveIsAProblem()
    {
        var junk = _dir.File("junk");
        await File.WriteAllTextAsync(junk, "this is not compressed data", TestContext.Current.CancellationToken);
        var file = await RealInitramfs.ConcatenateAsync(_dir.File("initrd.img"), await EarlyCpioAsync(), junk);

        var contents = await ReadAsync(file);

        Assert.Contains("unrecognised data at byte", contents.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("zstd")]
    [InlineData("xz")]
    public async Task ADecompressionBombStopsAtTheLimitInBoundedTime(string kind)
    {
        // 48 files of 8 MiB of zeros: 384 MiB unpacked from a few KiB; the limit is 64 MiB.
        var tree = Directory.CreateDirectory(_dir.File("bomb")).FullName;
        for (var i = 0; i < 48; i++)
        {
            using var f = File.Create(Path.Combine(tree, $"zero{i:D2}"));
            f.SetLength(8L << 20);
        }

        var bomb = _dir.File("bomb.img");
        var compressor = kind == "zstd" ? "zstd -q -3 -c" : "xz -q -1 -c";
        await Tools.RunAsync("bash", "-c", $"cd \"$1\" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | {compressor} > \"$2\"", "bomb", tree, bomb);
        Assert.True(new FileInfo(bomb).Length < (1 << 20), $"the bomb is {new FileInfo(bomb).Length} bytes");
        var limits = new InitramfsLimits { MaxUnpackedBytes = 64L << 20 };

        var clock = Stopwatch.StartNew();
        var contents = await ReadAsync(bomb, limits);

        Assert.Contains("past the limit of 67108864 unpacked bytes", contents.Problem, StringComparison.Ordinal);
        Assert.InRange(contents.Entries, 1, 9);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task AFileLargerThanTheLimitIsNotRead()
    {
        var file = await RealInitramfs.CompressAsync(await MainCpioAsync(), "gzip");

        var contents = await ReadAsync(file, new InitramfsLimits { MaxFileBytes = 100 });

        Assert.Contains("more than the 100 read", contents.Problem, StringComparison.Ordinal);
        Assert.Equal(0, contents.Entries);
    }
}
