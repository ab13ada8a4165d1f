using System.Diagnostics;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Storage.Images;
using BladeProvisioner.Storage.Tests.Cloning.Support;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Storage.Tests.Images;

/// <summary>
/// The real donors of images/ (busybox, Debian with initramfs-tools, Debian with dracut), judged by
/// <see cref="ImagePreflight"/>: every verdict right and no false warning. The images are read, never written.
/// </summary>
public sealed class RealDonorPreflightTests
{
    private readonly ImagePreflight _preflight = new(Tools.Runner);

    [Fact]
    public async Task BusyboxDonorLogsInWithIscsistartFromItsGzipInitramfs()
    {
        var findings = await CheckAsync(await TestDonors.BusyboxAsync(TestContext.Current.CancellationToken));

        AssertNoWarnings(findings);
        Assert.Contains("partition 2", Single(findings, "linux-root").Message, StringComparison.Ordinal);
        Assert.Contains("\\EFI\\BOOT\\BOOTX64.EFI present on partition 1", Single(findings, "uefi-loader").Message, StringComparison.Ordinal);
        var initramfs = Single(findings, "initramfs").Message;
        Assert.Contains("/initrd.img on partition 1: gzip cpio", initramfs, StringComparison.Ordinal);
        Assert.Contains("custom", initramfs, StringComparison.Ordinal);
        var iscsi = Single(findings, "iscsi-boot").Message;
        Assert.Contains("iscsistart present and run by /init", iscsi, StringComparison.Ordinal);
        Assert.Contains("read from the initramfs", iscsi, StringComparison.Ordinal);
        Assert.Contains("/vmlinuz on partition 1", Single(findings, "kernel").Message, StringComparison.Ordinal);
        Assert.Contains("console=ttyS0,115200", Single(findings, "kernel-cmdline").Message, StringComparison.Ordinal);
        Assert.Equal("cloud-init is not installed.", Single(findings, "cloud-init").Message);
    }

    [Fact]
    public async Task DebianDonorHasInitramfsToolsWithIscsiAutoCloudInitAndRootByUuid()
    {
        var findings = await CheckAsync(await TestDonors.DebianAsync("debian-12", TestContext.Current.CancellationToken));

        AssertNoWarnings(findings);
        Assert.Contains("partition 3", Single(findings, "linux-root").Message, StringComparison.Ordinal);
        Assert.Contains("\\EFI\\BOOT\\BOOTX64.EFI present on partition 2", Single(findings, "uefi-loader").Message, StringComparison.Ordinal);
        var initramfs = Single(findings, "initramfs").Message;
        Assert.Contains("/boot/initrd.img-", initramfs, StringComparison.Ordinal);
        Assert.Contains("initramfs-tools", initramfs, StringComparison.Ordinal);
        Assert.Contains("initramfs-tools with open-iscsi and ISCSI_AUTO=true", Single(findings, "iscsi-boot").Message, StringComparison.Ordinal);
        var cmdline = Single(findings, "kernel-cmdline").Message;
        Assert.Contains("root by filesystem UUID (UUID=", cmdline, StringComparison.Ordinal);
        Assert.DoesNotContain("PARTUUID", cmdline, StringComparison.Ordinal);
        Assert.Contains("cloud-init present", Single(findings, "cloud-init").Message, StringComparison.Ordinal);
        Assert.Contains("NoCloud", Single(findings, "cloud-init").Message, StringComparison.Ordinal);
        Assert.Contains("names no partition", Single(findings, "partition-references").Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DracutDonorHasTheIscsiModuleFirmwareFlagAndReportsItsPartitionReferences()
    {
        var findings = await CheckAsync(await TestDonors.DebianAsync("debian-12-dracut", TestContext.Current.CancellationToken));

        AssertNoWarnings(findings);
        Assert.Contains("partition 3", Single(findings, "linux-root").Message, StringComparison.Ordinal);
        Assert.Contains("\\EFI\\BOOT\\BOOTX64.EFI present on partition 2", Single(findings, "uefi-loader").Message, StringComparison.Ordinal);
        Assert.Contains("dracut", Single(findings, "initramfs").Message, StringComparison.Ordinal);
        Assert.Contains("dracut with the iscsi module and rd.iscsi.firmware", Single(findings, "iscsi-boot").Message, StringComparison.Ordinal);
        Assert.Contains("root by partition id (PARTUUID=", Single(findings, "kernel-cmdline").Message, StringComparison.Ordinal);
        var references = Single(findings, "partition-references").Message;
        Assert.Contains("PARTUUID", references, StringComparison.Ordinal);
        Assert.Contains("keeps the donor's disk and partition ids", references, StringComparison.Ordinal);
        Assert.Equal("cloud-init is not installed.", Single(findings, "cloud-init").Message);
    }

    private async Task<IReadOnlyList<PreflightFinding>> CheckAsync(string image)
    {
        var clock = Stopwatch.StartNew();
        var findings = await _preflight.CheckAsync(image, BootMode.Both, TestContext.Current.CancellationToken);
        TestContext.Current.TestOutputHelper?.WriteLine($"preflight of {Path.GetFileName(image)}: {clock.Elapsed.TotalSeconds:F1} s");
        foreach (var f in findings)
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"  {f.Level} {f.Check}: {f.Message}");
        }

        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), $"preflight took {clock.Elapsed}");
        return findings;
    }

    private static void AssertNoWarnings(IReadOnlyList<PreflightFinding> findings) =>
        Assert.All(findings, f => Assert.True(f.Level == PreflightFinding.Ok, $"{f.Level} {f.Check}: {f.Message}"));

    private static PreflightFinding Single(IReadOnlyList<PreflightFinding> findings, string check) =>
        Assert.Single(findings, f => f.Check == check);
}
