using System.Diagnostics;
using System.Globalization;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Storage.Images;
using BladeProvisioner.Storage.Tests.Cloning.Support;
using BladeProvisioner.Storage.Tests.Images.Initramfs;

namespace BladeProvisioner.Storage.Tests.Images;

/// <summary>
/// Small Linux donors built with sfdisk, mkfs.ext4 -d, GNU cpio and gzip whose boot setup is wrong or hostile: each
/// gives a finding that says what is wrong, never an exception, within bounded time.
/// </summary>
public sealed class LinuxDonorEdgeTests : IDisposable
{
    private const long Size = 48L << 20;
    private const long RootOffset = 1L << 20;
    private readonly ScratchDirectory _dir = new();
    private readonly ImagePreflight _preflight = new(Tools.Runner);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ABootWithoutAnInitramfsIsAWarningAndTheByteScanSaysSo()
    {
        var image = await DonorAsync(new Dictionary<string, string> { ["boot/vmlinuz-6.1.0-1-amd64"] = "kernel" });

        var findings = await CheckAsync(image);

        Assert.Equal(PreflightFinding.Ok, Single(findings, "linux-root").Level);
        Assert.Equal(PreflightFinding.Ok, Single(findings, "kernel").Level);
        var initramfs = Single(findings, "initramfs");
        Assert.Equal(PreflightFinding.Warning, initramfs.Level);
        Assert.Contains("No initramfs", initramfs.Message, StringComparison.Ordinal);
        var iscsi = Single(findings, "iscsi-boot");
        Assert.Equal(PreflightFinding.Warning, iscsi.Level);
        Assert.Contains("byte scan", iscsi.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnInitramfsWithoutIscsiIsAWarningNamingTheFix()
    {
        var initrd = await InitrdAsync(new Dictionary<string, string>
        {
            ["conf/initramfs.conf"] = "MODULES=most\n",
            ["scripts/functions"] = "# initramfs-tools\n",
            ["init"] = "#!/bin/sh\n",
        });
        var image = await DonorAsync(
            new Dictionary<string, string>
            {
                ["boot/vmlinuz-6.1.0-1-amd64"] = "kernel",
                ["boot/grub/grub.cfg"] = "menuentry 'Debian' {\n\tlinux /boot/vmlinuz-6.1.0-1-amd64 root=UUID=0b6c3c2e-1111-2222-3333-444455556666 ro ip=off console=ttyS0,115200\n}\n",
            },
            ("boot/initrd.img-6.1.0-1-amd64", initrd));

        var findings = await CheckAsync(image);

        Assert.Equal(PreflightFinding.Ok, Single(findings, "initramfs").Level);
        var iscsi = Single(findings, "iscsi-boot");
        Assert.Equal(PreflightFinding.Warning, iscsi.Level);
        Assert.Contains("initramfs-tools without iscsistart, open-iscsi's scripts/local-top/iscsi, ISCSI_AUTO=true", iscsi.Message, StringComparison.Ordinal);
        Assert.Contains("apt install open-iscsi", iscsi.Message, StringComparison.Ordinal);
        Assert.Contains("update-initramfs -u", iscsi.Message, StringComparison.Ordinal);
        Assert.Contains("read from the initramfs", iscsi.Message, StringComparison.Ordinal);
        var cmdline = Single(findings, "kernel-cmdline");
        Assert.Equal(PreflightFinding.Warning, cmdline.Level);
        Assert.Contains("ip=off stops the initramfs", cmdline.Message, StringComparison.Ordinal);
        Assert.Contains("root by filesystem UUID", cmdline.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DracutWithoutTheFirmwareFlagIsAWarning()
    {
        var initrd = await InitrdAsync(new Dictionary<string, string>
        {
            ["usr/lib/dracut-lib.sh"] = "#\n",
            ["usr/lib/dracut/hooks/cmdline/90-parse-iscsiroot.sh"] = "#\n",
            ["sbin/iscsiroot"] = "#!/bin/sh\n",
            ["usr/sbin/iscsistart"] = "ELF",
        });
        var image = await DonorAsync(
            new Dictionary<string, string> { ["boot/vmlinuz-6.1.0-1-amd64"] = "kernel", ["etc/kernel/cmdline"] = "root=PARTUUID=11111111-2222-3333-4444-555555555555 ro\n" },
            ("boot/initramfs-6.1.0-1-amd64.img", initrd));

        var findings = await CheckAsync(image);

        var iscsi = Single(findings, "iscsi-boot");
        Assert.Equal(PreflightFinding.Warning, iscsi.Level);
        Assert.Contains("dracut has the iscsi module but neither the kernel command line nor /etc/cmdline.d sets rd.iscsi.firmware=1", iscsi.Message, StringComparison.Ordinal);
        Assert.Contains("dracut without rd.iscsi.firmware=1 ignores the iBFT", Single(findings, "kernel-cmdline").Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("files")]
    [InlineData("boot")]
    public async Task ASymlinkLoopInBootIsNoInitramfsNotAHang(string loop)
    {
        var image = await DonorAsync(new Dictionary<string, string>(), links: loop == "boot"
            ? [("boot", "boot")]
            : [("boot/initrd.img", "initrd.img"), ("boot/initrd.img-6.1.0-1-amd64", "initrd.img-6.1.0-2-amd64"), ("boot/initrd.img-6.1.0-2-amd64", "initrd.img-6.1.0-1-amd64"), ("boot/vmlinuz", "vmlinuz")]);

        var findings = await CheckAsync(image);

        Assert.Equal(PreflightFinding.Ok, Single(findings, "linux-root").Level);
        Assert.Contains("No initramfs", Single(findings, "initramfs").Message, StringComparison.Ordinal);
        Assert.Equal(PreflightFinding.Warning, Single(findings, "kernel").Level);
    }

    [Fact]
    public async Task ATruncatedInitramfsIsAWarningAndTheByteScanStillRuns()
    {
        var initrd = await InitrdAsync(new Dictionary<string, string> { ["sbin/iscsistart"] = new('i', 200_000), ["init"] = "#!/bin/sh\niscsistart -b\n" });
        var bytes = await File.ReadAllBytesAsync(initrd, TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(initrd, bytes[..(bytes.Length / 2)], TestContext.Current.CancellationToken);
        var image = await DonorAsync(new Dictionary<string, string> { ["boot/vmlinuz-6.1.0-1-amd64"] = "kernel" }, ("boot/initrd.img-6.1.0-1-amd64", initrd));

        var findings = await CheckAsync(image);

        var initramfs = Single(findings, "initramfs");
        Assert.Equal(PreflightFinding.Warning, initramfs.Level);
        Assert.Contains("gzip cpio", initramfs.Message, StringComparison.Ordinal);
        Assert.Contains("then stopped", initramfs.Message, StringComparison.Ordinal);
        Assert.Contains("byte scan", Single(findings, "iscsi-boot").Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGiganticDeclaredSizeInTheInitramfsIsAFinding()
    {
        var hostile = new Newc().File("init", "#!/bin/sh\n").Entry("huge", new byte[64], 0x81A4, declaredSize: 0xFFFFFFF0).ToArray();
        var raw = _dir.File("hostile.cpio");
        await File.WriteAllBytesAsync(raw, hostile, TestContext.Current.CancellationToken);
        var initrd = await RealInitramfs.CompressAsync(raw, "gzip");
        var image = await DonorAsync(new Dictionary<string, string> { ["boot/vmlinuz-6.1.0-1-amd64"] = "kernel" }, ("boot/initrd.img-6.1.0-1-amd64", initrd));

        var findings = await CheckAsync(image);

        var initramfs = Single(findings, "initramfs");
        Assert.Equal(PreflightFinding.Warning, initramfs.Level);
        Assert.Contains("past the limit", initramfs.Message, StringComparison.Ordinal);
    }

    private async Task<IReadOnlyList<PreflightFinding>> CheckAsync(string image)
    {
        var clock = Stopwatch.StartNew();
        var findings = await _preflight.CheckAsync(image, BootMode.Bios, TestContext.Current.CancellationToken);
        foreach (var f in findings)
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"{f.Level} {f.Check}: {f.Message}");
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"preflight took {clock.Elapsed}");
        return findings;
    }

    private async Task<string> InitrdAsync(Dictionary<string, string> files)
    {
        var name = "initrd-" + Guid.NewGuid().ToString("N")[..8];
        var cpio = await RealInitramfs.CpioAsync(RealInitramfs.Tree(_dir.File(name), files), _dir.File(name + ".cpio"));
        return await RealInitramfs.CompressAsync(cpio, "gzip");
    }

    /// <summary>MBR, one Linux partition at 1 MiB with an ext4 root (mkfs.ext4 -d) holding /etc, <paramref name="files"/>, copies and symlinks.</summary>
    private async Task<string> DonorAsync(Dictionary<string, string> files, (string Path, string Source)? copy = null, (string Path, string Target)[]? links = null)
    {
        var tree = RealInitramfs.Tree(_dir.File("root-" + Guid.NewGuid().ToString("N")[..8]), new Dictionary<string, string>(files) { ["etc/fstab"] = "# empty\n" });
        if (copy is { } c)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(tree, c.Path))!);
            File.Copy(c.Source, Path.Combine(tree, c.Path));
        }

        foreach (var (path, target) in links ?? [])
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(tree, path))!);
            File.CreateSymbolicLink(Path.Combine(tree, path), target);
        }

        var image = _dir.File(Path.GetFileName(tree) + ".raw");
        await using (var f = File.Create(image))
        {
            f.SetLength(Size);
        }

        await Tools.RunWithInputAsync("sfdisk", "label: dos\nstart=2048, type=83\n", "--quiet", image);
        var rootKiB = (Size - RootOffset) / 1024;
        await Tools.RunAsync("mkfs.ext4", "-q", "-F", "-E", $"offset={RootOffset}", "-d", tree, image, string.Create(CultureInfo.InvariantCulture, $"{rootKiB}k"));
        return image;
    }

    private static PreflightFinding Single(IReadOnlyList<PreflightFinding> findings, string check) => Assert.Single(findings, f => f.Check == check);
}
