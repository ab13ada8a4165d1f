using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using BladeProvisioner.Platform.Processes;

namespace BladeProvisioner.Storage.Identity;

/// <summary>
/// An ext2/3/4 filesystem inside a volume file, at a byte offset, worked on in userspace with e2fsprogs (debugfs,
/// e2fsck, resize2fs open <c>file?offset=N</c>): nothing is mounted, so the appliance's kernel never parses a
/// filesystem a donor (or a blade it was captured from) made. Every tool runs with a timeout.
/// </summary>
internal sealed partial class ExtFilesystem(IProcessRunner runner, string volumePath, long offset, long length) : IRootFilesystem
{
    public const string Debugfs = "/usr/sbin/debugfs";
    public const string E2fsck = "/usr/sbin/e2fsck";
    public const string Resize2fs = "/usr/sbin/resize2fs";
    public const string Losetup = "/usr/sbin/losetup";

    /// <summary>The largest file this class reads back (configuration files; a hostile image may hold anything).</summary>
    public const long MaxReadBytes = 1 << 20;

    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(120);
    private static readonly Dictionary<string, string> NoPager = new(StringComparer.Ordinal) { ["DEBUGFS_PAGER"] = "__none__", ["PAGER"] = "__none__" };

    public string Kind => "ext";

    public long Offset => offset;

    public long Length => length;

    private string Spec => string.Create(CultureInfo.InvariantCulture, $"{volumePath}?offset={offset}");

    [GeneratedRegex(@"Type:\s+(?<type>\w+)\s+Mode:\s+(?<mode>[0-7]+)")]
    private static partial Regex TypeAndMode();

    [GeneratedRegex(@"Size:\s+(?<size>\d+)")]
    private static partial Regex SizeLine();

    [GeneratedRegex(@"^Block count:\s+(?<n>\d+)", RegexOptions.Multiline)]
    private static partial Regex BlockCount();

    [GeneratedRegex(@"^Block size:\s+(?<n>\d+)", RegexOptions.Multiline)]
    private static partial Regex BlockSize();

    /// <summary>What a path is inside the filesystem, or null when it does not exist.</summary>
    public async Task<ExtEntry?> StatAsync(string path, CancellationToken ct)
    {
        var result = await DebugfsAsync($"stat \"{path}\"", write: false, ct);
        var m = TypeAndMode().Match(result.StandardOutput);
        if (!m.Success)
        {
            return null;
        }

        var size = SizeLine().Match(result.StandardOutput) is { Success: true } s ? long.Parse(s.Groups["size"].Value, CultureInfo.InvariantCulture) : 0;
        return new ExtEntry(m.Groups["type"].Value, Convert.ToInt32(m.Groups["mode"].Value, 8), size);
    }

    /// <summary>A regular file's text, or null when it is missing, not a regular file, or larger than <see cref="MaxReadBytes"/>.</summary>
    public async Task<string?> ReadTextAsync(string path, CancellationToken ct)
    {
        var entry = await StatAsync(path, ct);
        if (entry is not { IsRegular: true } || entry.Size > MaxReadBytes)
        {
            return null;
        }

        var result = await DebugfsAsync($"cat \"{path}\"", write: false, ct);
        return result.StandardOutput;
    }

    /// <summary>
    /// The entries of a directory (without . and ..): name, mode and size from <c>ls -p</c>. Empty when the directory is
    /// missing or unreadable (debugfs gives up on a symlink loop with an error, which prints no entries).
    /// </summary>
    public async Task<IReadOnlyList<(string Name, int Mode, long Size)>> ListAsync(string directory, CancellationToken ct)
    {
        var result = await DebugfsAsync($"ls -p \"{directory}\"", write: false, ct);
        var entries = new List<(string, int, long)>();
        foreach (var line in result.StandardOutput.Split('\n'))
        {
            // /inode/mode/uid/gid/name/size/
            var parts = line.Trim().Split('/');
            if (parts.Length < 8 || parts[5] is "." or ".." or "" || parts[5].Contains('"', StringComparison.Ordinal)
                || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                continue;
            }

            var size = long.TryParse(parts[6], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
            entries.Add((parts[5], Convert.ToInt32(parts[2], 8), size));
        }

        return entries;
    }

    /// <summary>Copies a regular file out of the filesystem (read-only) to <paramref name="localPath"/>; false when debugfs wrote nothing.</summary>
    public async Task<bool> DumpAsync(string path, string localPath, CancellationToken ct)
    {
        if (path.Contains('"', StringComparison.Ordinal) || localPath.Contains('"', StringComparison.Ordinal))
        {
            return false;
        }

        await DebugfsAsync($"dump \"{path}\" \"{localPath}\"", write: false, ct);
        return File.Exists(localPath);
    }

    /// <summary>Bytes the filesystem spans now (block count × block size), from its superblock.</summary>
    public async Task<long> SizeAsync(CancellationToken ct)
    {
        var result = await runner.RunAsync(new ProcessSpec("/usr/sbin/dumpe2fs", ["-h", Spec]) { Timeout = ToolTimeout }, ct);
        var count = BlockCount().Match(result.StandardOutput);
        var size = BlockSize().Match(result.StandardOutput);
        return !count.Success || !size.Success
            ? throw new IdentityException($"dumpe2fs printed no block count for the filesystem at byte {offset}.")
            : long.Parse(count.Groups["n"].Value, CultureInfo.InvariantCulture) * long.Parse(size.Groups["n"].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// e2fsck in preen mode, forced: fixes what is safe to fix unattended (exit 1/2) and refuses anything else
    /// (exit 4 or more), which fails the clone rather than personalising a damaged filesystem.
    /// </summary>
    public async Task CheckAsync(CancellationToken ct)
    {
        var result = await runner.TryRunAsync(new ProcessSpec(E2fsck, ["-f", "-p", Spec]) { Timeout = ToolTimeout }, ct);
        if (result.ExitCode >= 4)
        {
            throw new IdentityException(
                $"e2fsck found errors it will not fix unattended in the root filesystem (exit {result.ExitCode}): {Tail(result.StandardOutput + result.StandardError)}");
        }
    }

    /// <summary>
    /// Grows the filesystem to fill <see cref="Length"/>. resize2fs runs on a loop device bound to exactly the partition
    /// (<c>losetup --offset --sizelimit</c>): on a regular file with <c>?offset=</c> it sets the file's length to the new
    /// filesystem size without the offset, cutting off the end of the filesystem and the GPT backup. The kernel only
    /// passes blocks through a loop device; nothing is mounted. Returns why it could not grow (no loop device
    /// here), or null once grown. Loop devices a killed earlier run left on this volume are detached first.
    /// </summary>
    public async Task<string?> GrowAsync(CancellationToken ct)
    {
        await DetachLeftoverLoopsAsync(ct);
        var attach = await runner.TryRunAsync(
            new ProcessSpec(Losetup, ["--find", "--show", "--offset", Invariant(offset), "--sizelimit", Invariant(length), volumePath]) { Timeout = ToolTimeout }, ct);
        var device = attach.StandardOutput.Trim();
        if (attach.ExitCode != 0 || !device.StartsWith("/dev/loop", StringComparison.Ordinal))
        {
            return $"no loop device to grow it on ({Tail(attach.StandardError)})";
        }

        try
        {
            var result = await runner.TryRunAsync(new ProcessSpec(Resize2fs, [device]) { Timeout = ToolTimeout }, ct);
            if (result.ExitCode != 0)
            {
                throw new IdentityException($"resize2fs could not grow the root filesystem (exit {result.ExitCode}): {Tail(result.StandardError + result.StandardOutput)}");
            }
        }
        finally
        {
            await runner.TryRunAsync(new ProcessSpec(Losetup, ["--detach", device]) { Timeout = ToolTimeout }, CancellationToken.None);
        }

        return null;
    }

    private async Task DetachLeftoverLoopsAsync(CancellationToken ct)
    {
        var listed = await runner.TryRunAsync(new ProcessSpec(Losetup, ["--associated", volumePath, "--noheadings", "--output", "NAME"]) { Timeout = ToolTimeout }, ct);
        foreach (var name in listed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (name.StartsWith("/dev/loop", StringComparison.Ordinal))
            {
                await runner.TryRunAsync(new ProcessSpec(Losetup, ["--detach", name]) { Timeout = ToolTimeout }, ct);
            }
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Replaces (or creates) each file with the given content, owner root and mode, in one debugfs run, then reads every
    /// one back: debugfs exits 0 even when a command fails, so only the read-back proves the writes.
    /// </summary>
    public async Task WriteFilesAsync(IReadOnlyList<ExtWrite> writes, CancellationToken ct)
    {
        if (writes.Count == 0)
        {
            return;
        }

        var staging = Directory.CreateTempSubdirectory("bp-identity-");
        var said = string.Empty;
        try
        {
            File.SetUnixFileMode(staging.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var script = new StringBuilder();
            for (var i = 0; i < writes.Count; i++)
            {
                var w = writes[i];
                if (!w.Path.StartsWith('/') || w.Path.Contains('"', StringComparison.Ordinal) || w.Path.Contains('\n', StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Unusable path {w.Path}.", nameof(writes));
                }

                if (w.Content is null)
                {
                    script.Append(CultureInfo.InvariantCulture, $"rm \"{w.Path}\"\n");
                    continue;
                }

                var local = Path.Combine(staging.FullName, i.ToString(CultureInfo.InvariantCulture));
                await using (var stream = new FileStream(local, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
                {
                    await stream.WriteAsync(w.Content, ct);
                }

                script.Append(CultureInfo.InvariantCulture, $"rm \"{w.Path}\"\n");
                script.Append(CultureInfo.InvariantCulture, $"write \"{local}\" \"{w.Path}\"\n");
                script.Append(CultureInfo.InvariantCulture, $"sif \"{w.Path}\" mode 0{Convert.ToString(0x8000 | w.Mode, 8)}\n");
                script.Append(CultureInfo.InvariantCulture, $"sif \"{w.Path}\" uid 0\n");
                script.Append(CultureInfo.InvariantCulture, $"sif \"{w.Path}\" gid 0\n");
            }

            var commands = Path.Combine(staging.FullName, "commands");
            await File.WriteAllTextAsync(commands, script.ToString(), ct);
            var ran = await runner.RunAsync(new ProcessSpec(Debugfs, ["-w", "-f", commands, Spec]) { Timeout = ToolTimeout, Environment = NoPager }, ct);
            said = Tail(ran.StandardOutput + ran.StandardError);
        }
        finally
        {
            staging.Delete(recursive: true);
        }

        foreach (var w in writes)
        {
            var entry = await StatAsync(w.Path, ct);
            if (w.Content is null)
            {
                if (entry is not null)
                {
                    throw new IdentityException($"{w.Path} could not be removed from the root filesystem.");
                }

                continue;
            }

            var back = await ReadBytesAsync(w.Path, ct);
            var problem = entry is null ? "it is missing"
                : !entry.IsRegular ? $"it is a {entry.Type}"
                : (entry.Mode & 0xFFF) != w.Mode ? $"its mode is {Convert.ToString(entry.Mode & 0xFFF, 8)}, not {Convert.ToString(w.Mode, 8)}"
                : back is null || !back.AsSpan().SequenceEqual(w.Content) ? $"its {back?.Length ?? 0} bytes differ from the {w.Content.Length} written"
                : null;
            if (problem is not null)
            {
                throw new IdentityException($"{w.Path} did not read back as written in the root filesystem: {problem} (debugfs: {said}).");
            }
        }
    }

    private async Task<byte[]?> ReadBytesAsync(string path, CancellationToken ct)
    {
        var text = await ReadTextAsync(path, ct);
        return text is null ? null : Encoding.UTF8.GetBytes(text);
    }

    private Task<ProcessResult> DebugfsAsync(string command, bool write, CancellationToken ct)
    {
        List<string> args = write ? ["-w", "-R", command, Spec] : ["-R", command, Spec];
        return runner.TryRunAsync(new ProcessSpec(Debugfs, args) { Timeout = ToolTimeout, Environment = NoPager }, ct);
    }

    private static string Tail(string text)
    {
        var trimmed = text.Trim();
        return trimmed.Length <= 1200 ? trimmed : trimmed[^1200..];
    }
}

/// <summary>A path inside an ext filesystem: debugfs's type word ("regular", "directory", "symlink", …) and mode bits.</summary>
internal sealed record ExtEntry(string Type, int Mode, long Size)
{
    public bool IsRegular => Type == "regular";

    public bool IsDirectory => Type == "directory";
}

/// <summary>A file to write (root-owned, <paramref name="Mode"/> permission bits) or, with null content, to remove.</summary>
internal sealed record ExtWrite(string Path, byte[]? Content, int Mode = 0x1A4);
