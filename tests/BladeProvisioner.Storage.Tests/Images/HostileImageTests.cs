using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Storage.Images;
using BladeProvisioner.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace BladeProvisioner.Storage.Tests.Images;

/// <summary>
/// Images built by qemu-img itself that make qemu-img read other files: an import must refuse each one before any
/// byte of the other file is copied, with a stable code, and accept ordinary images of every supported format.
/// </summary>
public sealed class HostileImageTests : IDisposable
{
    private readonly TempDirectory _dir = new("bp-hostile");
    private readonly ProcessRunner _runner = new(NullLogger<ProcessRunner>.Instance);

    private string PathOf(string name) => Path.Combine(_dir.Path, name);

    private async Task QemuImgAsync(params string[] args)
    {
        Prerequisites.RequireProgram("/usr/bin/qemu-img");
        await _runner.RunAsync(new ProcessSpec("qemu-img", args) { WorkingDirectory = _dir.Path }, TestContext.Current.CancellationToken);
    }

    /// <summary>A host file the image must never be able to read: 1 MiB with a marker in it.</summary>
    private string HostFile()
    {
        var path = PathOf("host-secret.raw");
        var data = new byte[1 << 20];
        "host secret, not for images"u8.CopyTo(data);
        File.WriteAllBytes(path, data);
        return path;
    }

    private async Task<DomainException> RefusedAsync(string image)
    {
        var probe = new ImageProbe(_runner);
        return await Assert.ThrowsAsync<DomainException>(() => probe.ProbeAsync(image, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Qcow2WithAnExternalDataFileIsRefused()
    {
        var host = HostFile();
        await QemuImgAsync("create", "-f", "qcow2", "-o", $"data_file={host},data_file_raw=on", "df.qcow2", "1M");
        HostFile(); // creating may have resized it; the marker goes back in

        var refused = await RefusedAsync(PathOf("df.qcow2"));

        Assert.Equal(ErrorCodes.ImageExternalReference, refused.Code);
        Assert.Contains("data file", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Qcow2WithABackingFileIsRefused()
    {
        var host = HostFile();
        await QemuImgAsync("create", "-f", "qcow2", "-b", host, "-F", "raw", "backed.qcow2");

        var refused = await RefusedAsync(PathOf("backed.qcow2"));

        Assert.Equal(ErrorCodes.ImageExternalReference, refused.Code);
        Assert.Contains("backing file", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("host-secret.raw")]
    [InlineData("TEMP")]
    public async Task VmdkDescriptorWithAFlatExtentElsewhereIsRefused(string extent)
    {
        await QemuImgAsync("create", "-f", "vmdk", "-o", "subformat=monolithicFlat", "flat.vmdk", "1M");
        var target = extent == "TEMP" ? HostFile() : extent;
        if (extent == "host-secret.raw")
        {
            HostFile();
        }

        var descriptor = await File.ReadAllTextAsync(PathOf("flat.vmdk"), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(PathOf("flat.vmdk"), descriptor.Replace("\"flat-flat.vmdk\"", $"\"{target}\"", StringComparison.Ordinal), TestContext.Current.CancellationToken);

        var refused = await RefusedAsync(PathOf("flat.vmdk"));

        Assert.Equal(ErrorCodes.ImageExternalReference, refused.Code);
    }

    [Fact]
    public async Task VmdkSplitIntoSparseExtentFilesIsRefused()
    {
        await QemuImgAsync("create", "-f", "vmdk", "-o", "subformat=twoGbMaxExtentSparse", "split.vmdk", "1M");

        var refused = await RefusedAsync(PathOf("split.vmdk"));

        Assert.Equal(ErrorCodes.ImageExternalReference, refused.Code);
    }

    [Theory]
    [InlineData("qcow2", "", ImageFormat.Qcow2)]
    [InlineData("vmdk", "subformat=monolithicSparse", ImageFormat.Vmdk)]
    [InlineData("vmdk", "subformat=streamOptimized", ImageFormat.Vmdk)]
    [InlineData("vpc", "", ImageFormat.Vhd)]
    [InlineData("vpc", "subformat=fixed", ImageFormat.Vhd)]
    [InlineData("vhdx", "", ImageFormat.Vhdx)]
    [InlineData("raw", "", ImageFormat.Raw)]
    public async Task SelfContainedImagesAreAcceptedWithTheirFormat(string format, string options, ImageFormat expected)
    {
        var name = "plain." + format;
        await QemuImgAsync(options.Length == 0 ? ["create", "-f", format, name, "4M"] : ["create", "-f", format, "-o", options, name, "4M"]);

        var info = await new ImageProbe(_runner).ProbeAsync(PathOf(name), TestContext.Current.CancellationToken);

        Assert.Equal(expected, info.Format);
        Assert.True(info.VirtualSize >= 4 << 20, $"virtual size {info.VirtualSize}");
    }

    /// <summary>qemu-img runs with the format named (never probed again) and under CPU, memory and time limits.</summary>
    [Fact]
    public async Task QemuImgRunsWithAnExplicitFormatAndResourceLimits()
    {
        await QemuImgAsync("create", "-f", "qcow2", "limits.qcow2", "1M");
        var recording = new RecordingRunner(_runner);

        await new ImageProbe(recording).ProbeAsync(PathOf("limits.qcow2"), TestContext.Current.CancellationToken);

        var spec = Assert.Single(recording.Calls);
        Assert.Equal("prlimit", Path.GetFileName(spec.FileName));
        Assert.Contains(spec.Arguments, a => a.StartsWith("--as=", StringComparison.Ordinal));
        Assert.Contains(spec.Arguments, a => a.StartsWith("--cpu=", StringComparison.Ordinal));
        var qemu = spec.Arguments.ToList().IndexOf("qemu-img");
        Assert.True(qemu > 0, spec.Display());
        var f = spec.Arguments.ToList().IndexOf("-f");
        Assert.True(f > qemu && spec.Arguments[f + 1] == "qcow2", spec.Display());
        Assert.True(spec.Timeout <= TimeSpan.FromMinutes(1), $"timeout {spec.Timeout}");
    }

    public void Dispose() => _dir.Dispose();

    private sealed class RecordingRunner(IProcessRunner inner) : IProcessRunner
    {
        public List<ProcessSpec> Calls { get; } = [];

        public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken = default)
        {
            Calls.Add(spec);
            return inner.RunAsync(spec, cancellationToken);
        }

        public Task<ProcessResult> TryRunAsync(ProcessSpec spec, CancellationToken cancellationToken = default)
        {
            Calls.Add(spec);
            return inner.TryRunAsync(spec, cancellationToken);
        }
    }
}
