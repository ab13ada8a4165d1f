using System.Text.Json;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Platform.Processes;

namespace BladeProvisioner.Storage.Images;

/// <summary>What qemu-img says a file is: its format and virtual size.</summary>
public sealed class ImageProbe(IProcessRunner runner)
{
    public sealed record Result(ImageFormat Format, long VirtualSize, long ActualSize);

    public async Task<Result> ProbeAsync(string path, CancellationToken cancellationToken)
    {
        ProcessResult output;
        try
        {
            output = await runner.RunAsync(new ProcessSpec("qemu-img", ["info", "--output=json", path]) { Timeout = TimeSpan.FromSeconds(30) }, cancellationToken);
        }
        catch (ProcessFailedException ex)
        {
            throw DomainException.Invalid(ErrorCodes.ImageFormatUnsupported, $"'{Path.GetFileName(path)}' is not a readable disk image: {ex.StandardError.Trim()}");
        }

        using var doc = JsonDocument.Parse(output.StandardOutput);
        var root = doc.RootElement;
        var formatName = root.TryGetProperty("format", out var f) ? f.GetString() : null;
        var format = formatName switch
        {
            "raw" => ImageFormat.Raw,
            "qcow2" => ImageFormat.Qcow2,
            "vmdk" => ImageFormat.Vmdk,
            "vpc" => ImageFormat.Vhd,
            "vhdx" => ImageFormat.Vhdx,
            _ => throw DomainException.Invalid(ErrorCodes.ImageFormatUnsupported, $"Image format '{formatName}' is not supported (raw, qcow2, vmdk, vhd, vhdx)."),
        };
        if (root.TryGetProperty("backing-filename", out _))
        {
            throw DomainException.Invalid(ErrorCodes.ImageFormatUnsupported, "Images with a backing file are not supported; flatten it first (qemu-img convert).");
        }

        var virtualSize = root.GetProperty("virtual-size").GetInt64();
        var actual = root.TryGetProperty("actual-size", out var a) ? a.GetInt64() : 0;
        return new Result(format, virtualSize, actual);
    }

    /// <summary>Converts any supported format to a raw sparse file (qemu-img skips zero clusters with -S).</summary>
    public Task ConvertToRawAsync(string source, string destination, TimeSpan timeout, CancellationToken cancellationToken) =>
        runner.RunAsync(
            new ProcessSpec("qemu-img", ["convert", "-p", "-O", "raw", "-S", "4k", source, destination]) { Timeout = timeout },
            cancellationToken);
}
