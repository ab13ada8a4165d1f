using System.Globalization;
using System.Text.Json;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Platform.Processes;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Storage.Images;

/// <summary>
/// What an image file is (format, virtual size), and its conversion to raw. Image files come from users, so they are
/// hostile until shown otherwise: the format is read from the file's own header here and handed to qemu-img with
/// <c>-f</c> (qemu-img never guesses it), qemu-img runs under CPU, memory and time limits, and any image that makes
/// qemu-img open another file (a backing file, a qcow2 external data file, a VMDK descriptor's extents) is refused,
/// since converting it would copy that file (say /etc/shadow, or another blade's disk) into a donor image.
/// </summary>
public sealed class ImageProbe(IProcessRunner runner, IOptions<ImageStoreOptions>? options = null)
{
    private static readonly TimeSpan InfoTimeout = TimeSpan.FromSeconds(30);

    public sealed record Result(ImageFormat Format, long VirtualSize, long ActualSize);

    private long MemoryLimit => options?.Value.QemuImgMemoryLimit ?? ImageStoreOptions.DefaultQemuImgMemoryLimit;

    public async Task<Result> ProbeAsync(string path, CancellationToken cancellationToken)
    {
        var format = ImageHeader.Sniff(path);
        ProcessResult output;
        try
        {
            output = await runner.RunAsync(QemuImg(["info", "--output=json", "-f", QemuName(format), path], InfoTimeout), cancellationToken);
        }
        catch (ProcessFailedException ex)
        {
            throw DomainException.Invalid(ErrorCodes.ImageFormatUnsupported, $"'{Path.GetFileName(path)}' is not a readable {QemuName(format)} image: {ex.StandardError.Trim()}");
        }

        using var doc = JsonDocument.Parse(output.StandardOutput);
        var root = doc.RootElement;
        var formatName = root.TryGetProperty("format", out var f) ? f.GetString() : null;
        if (formatName != QemuName(format))
        {
            throw DomainException.Invalid(ErrorCodes.ImageFormatUnsupported, $"Image format '{formatName}' is not supported (raw, qcow2, vmdk, vhd, vhdx).");
        }

        RefuseExternalReferences(root, path);
        var virtualSize = root.GetProperty("virtual-size").GetInt64();
        var actual = root.TryGetProperty("actual-size", out var a) ? a.GetInt64() : 0;
        return new Result(format, virtualSize, actual);
    }

    /// <summary>
    /// Converts an image of <paramref name="format"/> (as <see cref="ProbeAsync"/> found it) to a raw sparse file
    /// (qemu-img skips zero clusters with -S). The output cache mode is writeback (<c>-t writeback</c>): qemu-img's
    /// default for convert is <c>unsafe</c>, which never flushes, so a power loss after it exits could lose the
    /// converted image; writeback flushes (fdatasync) before qemu-img exits.
    /// </summary>
    public Task ConvertToRawAsync(string source, ImageFormat format, string destination, TimeSpan timeout, CancellationToken cancellationToken) =>
        runner.RunAsync(QemuImg(["convert", "-p", "-t", "writeback", "-f", QemuName(format), "-O", "raw", "-S", "4k", source, destination], timeout), cancellationToken);

    /// <summary>qemu-img under prlimit: address space and CPU time capped, the wall-clock timeout on top (the runner's).</summary>
    private ProcessSpec QemuImg(IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var cpuSeconds = (long)Math.Ceiling(timeout.TotalSeconds);
        return new ProcessSpec(
            "prlimit",
            [
                "--as=" + MemoryLimit.ToString(CultureInfo.InvariantCulture),
                "--cpu=" + cpuSeconds.ToString(CultureInfo.InvariantCulture),
                "--core=0",
                "--",
                "qemu-img",
                .. arguments,
            ])
        {
            Timeout = timeout,
        };
    }

    private static void RefuseExternalReferences(JsonElement root, string path)
    {
        var name = Path.GetFileName(path);
        if (root.TryGetProperty("backing-filename", out _) || root.TryGetProperty("full-backing-filename", out _))
        {
            throw External($"'{name}' has a backing file: it reads another file. Flatten it first (qemu-img convert).");
        }

        if (!root.TryGetProperty("format-specific", out var specific) || !specific.TryGetProperty("data", out var data))
        {
            return;
        }

        if (data.TryGetProperty("data-file", out _))
        {
            throw External($"'{name}' keeps its data in an external data file: it reads another file. Convert it to a self-contained image first.");
        }

        if (data.TryGetProperty("extents", out var extents) && extents.ValueKind == JsonValueKind.Array)
        {
            var self = Path.GetFullPath(path);
            var directory = Path.GetDirectoryName(self)!;
            foreach (var extent in extents.EnumerateArray())
            {
                var file = extent.TryGetProperty("filename", out var e) ? e.GetString() : null;
                if (file is null || !string.Equals(Path.GetFullPath(file, directory), self, StringComparison.Ordinal))
                {
                    throw External($"'{name}' has an extent in another file: it reads another file. Import a monolithic VMDK.");
                }
            }
        }
    }

    private static DomainException External(string message) => DomainException.Invalid(ErrorCodes.ImageExternalReference, message);

    private static string QemuName(ImageFormat format) => format switch
    {
        ImageFormat.Raw => "raw",
        ImageFormat.Qcow2 => "qcow2",
        ImageFormat.Vmdk => "vmdk",
        ImageFormat.Vhd => "vpc",
        ImageFormat.Vhdx => "vhdx",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not an importable format"),
    };
}
