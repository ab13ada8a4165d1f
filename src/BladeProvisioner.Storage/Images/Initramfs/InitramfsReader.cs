using System.IO.Compression;
using BladeProvisioner.Platform.Processes;

namespace BladeProvisioner.Storage.Images.Initramfs;

/// <summary>
/// Reads an initramfs file the way the kernel unpacks it (init/initramfs.c): uncompressed newc archives (an early
/// microcode cpio), zero padding, then compressed archives recognised by their magic. gzip is decompressed in-process;
/// zstd, xz and lz4 stream through their command-line decompressors (<c>zstd -dc</c>, <c>xz -dc</c>, <c>lz4 -dc</c>),
/// file in on standard input, cpio out on standard output, read as it arrives. Never throws for a bad file: what could
/// not be read is <see cref="InitramfsContents.Problem"/>.
/// </summary>
internal sealed class InitramfsReader(IProcessRunner runner, InitramfsLimits limits)
{
    private static readonly Dictionary<string, string> Decompressors = new(StringComparer.Ordinal)
    {
        ["zstd"] = "/usr/bin/zstd",
        ["xz"] = "/usr/bin/xz",
        ["lz4"] = "/usr/bin/lz4",
    };

    public async Task<InitramfsContents> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var contents = new InitramfsContents();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limits.Timeout);
        try
        {
            await ReadLayersAsync(path, contents, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            contents.Problem = $"reading took longer than {limits.Timeout.TotalSeconds:F0} s";
        }
        catch (ProcessFailedException ex) when (!cancellationToken.IsCancellationRequested)
        {
            contents.Problem = ex.TimedOut ? $"reading took longer than {limits.Timeout.TotalSeconds:F0} s" : ex.Message;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            contents.Problem ??= $"corrupt data: {ex.Message}";
        }

        return contents;
    }

    private async Task ReadLayersAsync(string path, InitramfsContents contents, CancellationToken ct)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        if (file.Length > limits.MaxFileBytes)
        {
            contents.Problem = $"the file is {file.Length} bytes, more than the {limits.MaxFileBytes} read";
            return;
        }

        var head = new byte[8];
        var n = await file.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct);
        file.Position = 0;
        if (CpioArchive.CompressionOf(head.AsSpan(0, n)) is null)
        {
            // Uncompressed archives first (early microcode), then maybe one compressed main archive.
            var early = new CpioArchive(file, contents, limits);
            var status = await early.ReadAsync(ct);
            contents.Layers.Add("cpio");
            if (status != CpioStatus.MoreData)
            {
                Judge(status, "cpio", contents);
                return;
            }

            var start = early.Position - early.Leftover.Length;
            await ReadCompressedAsync(path, file, start, early.Leftover, contents, ct);
            return;
        }

        await ReadCompressedAsync(path, file, 0, head.AsMemory(0, n), contents, ct);
    }

    private async Task ReadCompressedAsync(string path, FileStream file, long start, ReadOnlyMemory<byte> head, InitramfsContents contents, CancellationToken ct)
    {
        var kind = CpioArchive.CompressionOf(head.Span);
        if (kind is null)
        {
            contents.Problem = $"unrecognised data at byte {start} after the uncompressed archive";
            return;
        }

        var layer = $"{kind} cpio";
        contents.Layers.Add(layer);
        if (kind == "gzip")
        {
            file.Position = start;
            await using var gzip = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
            Judge(await new CpioArchive(gzip, contents, limits).ReadAsync(ct), layer, contents);
            return;
        }

        if (!Decompressors.TryGetValue(kind, out var tool))
        {
            contents.Problem = $"{kind} compression is not read here";
            return;
        }

        if (!File.Exists(tool))
        {
            contents.Problem = $"{tool} is missing (apt: {(kind == "xz" ? "xz-utils" : kind)})";
            return;
        }

        // The tool reads from its standard input; after an early archive, feed it only the compressed tail.
        var input = path;
        var tail = start > 0 ? path + ".main" : null;
        try
        {
            if (tail is not null)
            {
                await using var copy = new FileStream(tail, FileMode.CreateNew, FileAccess.Write);
                file.Position = start;
                await file.CopyToAsync(copy, ct);
                input = tail;
            }

            var status = CpioStatus.Truncated;
            var result = await runner.TryRunAsync(
                new ProcessSpec(tool, ["-dc"])
                {
                    StandardInputPath = input,
                    Timeout = limits.Timeout,
                    ReadStandardOutput = async (stdout, token) => status = await new CpioArchive(stdout, contents, limits).ReadAsync(token),
                },
                ct);
            if (status is CpioStatus.Truncated && result.ExitCode != 0)
            {
                contents.Problem ??= $"{kind} -dc failed (exit {result.ExitCode}): {result.StandardError.Trim()}";
                return;
            }

            Judge(status, layer, contents);
        }
        finally
        {
            if (tail is not null)
            {
                File.Delete(tail);
            }
        }
    }

    private static void Judge(CpioStatus status, string layer, InitramfsContents contents) => contents.Problem ??= status switch
    {
        CpioStatus.Complete or CpioStatus.MoreData => null,
        CpioStatus.Truncated => $"the {layer} archive ends early (truncated)",
        CpioStatus.BadHeader => $"the {layer} archive has a malformed header",
        _ => $"the {layer} archive is past a limit",
    };
}
