using System.Text;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Storage.Images;
using BladeProvisioner.Storage.Tests.Cloning.Support;

namespace BladeProvisioner.Storage.Tests.Images;

/// <summary>Images built with sfdisk and mtools, judged by <see cref="ImagePreflight"/>.</summary>
public sealed class ImagePreflightTests : IDisposable
{
    private const long Size = 64L << 20;
    private const long EspOffset = 1L << 20;
    private const long RootOffset = 33L << 20;
    private readonly ScratchDirectory _dir = new();
    private readonly ImagePreflight _preflight = new(Tools.Runner);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task UefiImageWithLoaderAndIscsistartPassesEveryCheck()
    {
        var image = await GptImageAsync(withLoader: true, marker: "/usr/sbin/iscsistart");

        var findings = await _preflight.CheckAsync(image, BootMode.Uefi, TestContext.Current.CancellationToken);

        Assert.All(findings.Where(f => f.Check is "partition-table" or "uefi-loader" or "iscsi-boot"), f => Assert.Equal(PreflightFinding.Ok, f.Level));
        Assert.Equal(PreflightFinding.Warning, Single(findings, "linux-root").Level);
        Assert.Contains(findings, f => f.Check == "uefi-loader" && f.Message.Contains("partition 1", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Check == "iscsi-boot" && f.Message.Contains("iscsistart", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UefiImageWithoutLoaderOrIscsiIsAnErrorAndAWarning()
    {
        var image = await GptImageAsync(withLoader: false, marker: null);

        var findings = await _preflight.CheckAsync(image, BootMode.Uefi, TestContext.Current.CancellationToken);

        Assert.Equal(PreflightFinding.Error, Single(findings, "uefi-loader").Level);
        var iscsi = Single(findings, "iscsi-boot");
        Assert.Equal(PreflightFinding.Warning, iscsi.Level);
        Assert.Contains("iscsistart / iscsi_ibft", iscsi.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BiosImageNeedsBootCodeInSectorZero()
    {
        var image = await MbrImageAsync(marker: "iscsi_ibft");

        var before = await _preflight.CheckAsync(image, BootMode.Bios, TestContext.Current.CancellationToken);
        await using (var f = new FileStream(image, FileMode.Open, FileAccess.Write))
        {
            await f.WriteAsync(new byte[] { 0xEB, 0x63, 0x90 }, TestContext.Current.CancellationToken);
        }

        var after = await _preflight.CheckAsync(image, BootMode.Bios, TestContext.Current.CancellationToken);

        Assert.Equal(PreflightFinding.Error, Single(before, "bios-boot-code").Level);
        Assert.Equal(PreflightFinding.Ok, Single(after, "bios-boot-code").Level);
        Assert.Equal(PreflightFinding.Ok, Single(after, "iscsi-boot").Level);
        Assert.Equal(PreflightFinding.Ok, Single(after, "partition-table").Level);
    }

    [Fact]
    public async Task UnreadableTableIsAWarningAndFindingsRoundTripAsJson()
    {
        var image = _dir.File("blank.raw");
        await using (var f = File.Create(image))
        {
            f.SetLength(Size);
        }

        var findings = await _preflight.CheckAsync(image, BootMode.Both, TestContext.Current.CancellationToken);

        Assert.Equal(PreflightFinding.Warning, Single(findings, "partition-table").Level);
        Assert.Equal(PreflightFinding.Error, Single(findings, "bios-boot-code").Level);
        Assert.Equal(PreflightFinding.Error, Single(findings, "uefi-loader").Level);
        Assert.Equal(findings, ImagePreflight.Deserialize(ImagePreflight.Serialize(findings)));
    }

    private static PreflightFinding Single(IReadOnlyList<PreflightFinding> findings, string check) =>
        Assert.Single(findings, f => f.Check == check);

    private async Task<string> GptImageAsync(bool withLoader, string? marker)
    {
        var image = NewImage("gpt.raw");
        await Tools.RunWithInputAsync(
            "sfdisk",
            "label: gpt\nstart=2048, size=65536, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\nstart=67584, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n",
            "--quiet",
            image);
        var esp = $"{image}@@{EspOffset}";
        await Tools.RunAsync("mformat", "-i", esp, "-T", "65536", "-h", "64", "-s", "32", "::");
        await Tools.RunAsync("mmd", "-i", esp, "::/EFI", "::/EFI/BOOT");
        if (withLoader)
        {
            var loader = _dir.File("BOOTX64.EFI");
            await File.WriteAllBytesAsync(loader, Encoding.ASCII.GetBytes("MZ not really a loader"), TestContext.Current.CancellationToken);
            await Tools.RunAsync("mcopy", "-i", esp, loader, "::/EFI/BOOT/BOOTX64.EFI");
        }

        await WriteMarkerAsync(image, marker);
        return image;
    }

    private async Task<string> MbrImageAsync(string marker)
    {
        var image = NewImage("mbr.raw");
        await Tools.RunWithInputAsync("sfdisk", "label: dos\nstart=2048, type=83, bootable\n", "--quiet", image);
        await WriteMarkerAsync(image, marker);
        return image;
    }

    private string NewImage(string name)
    {
        var image = _dir.File(name);
        using var f = File.Create(image);
        f.SetLength(Size);
        return image;
    }

    /// <summary>Puts the string 5 MiB into the root partition, as an initramfs or module name would be.</summary>
    private static async Task WriteMarkerAsync(string image, string? marker)
    {
        if (marker is null)
        {
            return;
        }

        await using var f = new FileStream(image, FileMode.Open, FileAccess.Write);
        f.Position = RootOffset + (5L << 20) + 100;
        await f.WriteAsync(Encoding.ASCII.GetBytes(marker), TestContext.Current.CancellationToken);
    }
}
