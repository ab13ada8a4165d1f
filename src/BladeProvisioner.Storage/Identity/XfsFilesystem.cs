using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using BladeProvisioner.Platform.Processes;

namespace BladeProvisioner.Storage.Identity;

/// <summary>
/// An XFS root filesystem inside a volume file, worked on through libguestfs: one <c>guestfish --listen</c> session
/// boots libguestfs's own small appliance VM with the volume as its only disk, and every step is one
/// <c>guestfish --remote</c> command. The filesystem is mounted, checked, grown and written inside that VM's kernel,
/// never in the appliance's: XFS has no userspace writer (xfs_growfs needs a mount, xfs_db cannot write file data),
/// and a donor or a captured blade may carry a hostile filesystem. Every command has a timeout; on dispose (also after
/// a cancel or a failure) the session is ended, killed if it does not go, and its run directory removed.
/// </summary>
internal sealed partial class XfsFilesystem : IRootFilesystem
{
    public const string Guestfish = "/usr/bin/guestfish";

    /// <summary>Booting the VM: under TCG (no KVM) on a busy machine this takes a minute or more.</summary>
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(5);

    private readonly IProcessRunner _runner;
    private readonly string _device;
    private readonly string _runDirectory;
    private readonly Dictionary<string, string> _environment;
    private int? _pid;

    private XfsFilesystem(IProcessRunner runner, int partitionNumber, long length, string cacheDirectory)
    {
        _runner = runner;
        _device = string.Create(CultureInfo.InvariantCulture, $"/dev/sda{partitionNumber}");
        Length = length;
        _runDirectory = Path.Combine(cacheDirectory, "run-" + Guid.NewGuid().ToString("N")[..12]);
        _environment = new(StringComparer.Ordinal)
        {
            ["LIBGUESTFS_BACKEND"] = "direct",
            ["LIBGUESTFS_CACHEDIR"] = cacheDirectory,
            ["TMPDIR"] = _runDirectory,
            ["XDG_RUNTIME_DIR"] = _runDirectory,
        };

        // KVM when the appliance's environment says so (LIBGUESTFS_BACKEND_SETTINGS set, even empty); TCG otherwise,
        // which works everywhere (libguestfs asks for -cpu host when /dev/kvm merely exists, and that fails without KVM).
        if (Environment.GetEnvironmentVariable("LIBGUESTFS_BACKEND_SETTINGS") is null)
        {
            _environment["LIBGUESTFS_BACKEND_SETTINGS"] = "force_tcg";
        }
    }

    public string Kind => "xfs";

    public long Length { get; }

    [GeneratedRegex(@"GUESTFISH_PID=(?<pid>\d+)")]
    private static partial Regex ListenPid();

    [GeneratedRegex(@"^(?<key>[a-z_]+): (?<value>-?\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex Field();

    /// <summary>Boots the VM on <paramref name="volumePath"/> and mounts partition <paramref name="partitionNumber"/> at /.</summary>
    public static async Task<XfsFilesystem> OpenAsync(IProcessRunner runner, string volumePath, int partitionNumber, long length, string cacheDirectory, CancellationToken ct)
    {
        Directory.CreateDirectory(cacheDirectory);
        var fs = new XfsFilesystem(runner, partitionNumber, length, cacheDirectory);
        Directory.CreateDirectory(fs._runDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var pid = await ListenAsync(volumePath, fs._environment, ct);
            if (pid is null)
            {
                throw new IdentityException("guestfish --listen did not start a session (no GUESTFISH_PID printed).");
            }

            fs._pid = pid;
            await fs.MustAsync(BootTimeout, ct, "run");
            await fs.MustAsync(CommandTimeout, ct, "mount", fs._device, "/");
            return fs;
        }
        catch
        {
            await fs.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts the session server and reads its pid. Not through the process runner: the server guestfish forks keeps
    /// the standard output open, so only its first line is read, never the end of the stream.
    /// </summary>
    private static async Task<int?> ListenAsync(string volumePath, Dictionary<string, string> environment, CancellationToken ct)
    {
        var start = new ProcessStartInfo(Guestfish) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { "--listen", "--rw", "--format=raw", "-a", volumePath })
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment)
        {
            start.Environment[k] = v;
        }

        using var process = Process.Start(start) ?? throw new IdentityException("guestfish could not be started.");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(CommandTimeout);
        try
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            return line is not null && ListenPid().Match(line) is { Success: true } m ? int.Parse(m.Groups["pid"].Value, CultureInfo.InvariantCulture) : null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            if (!process.HasExited && !process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    public async Task<ExtEntry?> StatAsync(string path, CancellationToken ct)
    {
        var (ok, output, _) = await RemoteAsync(CommandTimeout, ct, "lstatns", path);
        if (!ok)
        {
            return null;
        }

        var fields = Fields(output);
        if (!fields.TryGetValue("st_mode", out var mode))
        {
            return null;
        }

        var type = (mode & 0xF000) switch
        {
            0x8000 => "regular",
            0x4000 => "directory",
            0xA000 => "symlink",
            _ => "other",
        };
        return new ExtEntry(type, (int)(mode & 0xFFF), fields.GetValueOrDefault("st_size"));
    }

    public async Task<string?> ReadTextAsync(string path, CancellationToken ct)
    {
        var bytes = await ReadBytesAsync(path, ct);
        return bytes is null ? null : Encoding.UTF8.GetString(bytes);
    }

    public async Task<long> SizeAsync(CancellationToken ct)
    {
        var (ok, output, error) = await RemoteAsync(CommandTimeout, ct, "xfs-info", "/");
        var fields = Fields(output);
        return ok && fields.TryGetValue("xfs_blocksize", out var size) && fields.TryGetValue("xfs_datablocks", out var blocks)
            ? size * blocks
            : throw new IdentityException($"xfs-info printed no block count for the root filesystem: {Tail(error)}");
    }

    /// <summary>
    /// xfs_repair -n after the mount replayed the log (a donor captured from a running blade has a dirty one):
    /// a filesystem it finds damaged fails the clone rather than being personalised.
    /// </summary>
    public async Task CheckAsync(CancellationToken ct)
    {
        await MustAsync(CommandTimeout, ct, "umount", "/");
        var (ok, output, error) = await RemoteAsync(CommandTimeout, ct, "xfs-repair", _device, "nomodify:true");
        if (!ok || output.Trim() != "0")
        {
            throw new IdentityException($"xfs_repair -n found errors in the root filesystem ({output.Trim()}): {Tail(error)}");
        }

        await MustAsync(CommandTimeout, ct, "mount", _device, "/");
    }

    public async Task<string?> GrowAsync(CancellationToken ct)
    {
        await MustAsync(CommandTimeout, ct, "xfs-growfs", "/");
        return null;
    }

    /// <summary>
    /// Replaces (or creates) each file, root-owned with the given mode: the old entry is removed first, so a symlink
    /// a hostile image put there is replaced, not written through; a parent that is not a real directory refuses the
    /// write. Then the filesystem is unmounted, caches dropped, mounted again and every file read back.
    /// </summary>
    public async Task WriteFilesAsync(IReadOnlyList<ExtWrite> writes, CancellationToken ct)
    {
        if (writes.Count == 0)
        {
            return;
        }

        for (var i = 0; i < writes.Count; i++)
        {
            var w = writes[i];
            if (!w.Path.StartsWith('/') || w.Path.Contains('\n', StringComparison.Ordinal) || w.Path.Contains("/../", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Unusable path {w.Path}.", nameof(writes));
            }

            var parent = w.Path[..Math.Max(1, w.Path.LastIndexOf('/'))];
            if (await StatAsync(parent, ct) is not { IsDirectory: true })
            {
                throw new IdentityException($"{parent} is not a directory in the root filesystem; {w.Path} was not written.");
            }

            await MustAsync(CommandTimeout, ct, "rm-f", w.Path);
            if (w.Content is null)
            {
                continue;
            }

            var local = Path.Combine(_runDirectory, "upload-" + i.ToString(CultureInfo.InvariantCulture));
            await File.WriteAllBytesAsync(local, w.Content, ct);
            try
            {
                await MustAsync(CommandTimeout, ct, "upload", local, w.Path);
            }
            finally
            {
                File.Delete(local);
            }

            await MustAsync(CommandTimeout, ct, "chown", "0", "0", w.Path);
            await MustAsync(CommandTimeout, ct, "chmod", "0" + Convert.ToString(w.Mode, 8), w.Path);
        }

        await MustAsync(CommandTimeout, ct, "sync");
        await MustAsync(CommandTimeout, ct, "umount", "/");
        await MustAsync(CommandTimeout, ct, "drop-caches", "3");
        await MustAsync(CommandTimeout, ct, "mount", _device, "/");
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
                throw new IdentityException($"{w.Path} did not read back as written in the root filesystem: {problem}.");
            }
        }
    }

    /// <summary>Unmounts and ends the session (the VM shuts down); kills it when it does not end; removes the run directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_pid is { } pid)
        {
            _pid = null;
            await RemoteOnceAsync(pid, TimeSpan.FromSeconds(60), CancellationToken.None, "-umount-all");
            await RemoteOnceAsync(pid, TimeSpan.FromSeconds(60), CancellationToken.None, "exit");
            KillIfAlive(pid);
        }

        try
        {
            Directory.Delete(_runDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static void KillIfAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)) && process.ProcessName.StartsWith("guestfish", StringComparison.Ordinal))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(30));
            }
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
        catch (InvalidOperationException)
        {
        }
    }

    private async Task<byte[]?> ReadBytesAsync(string path, CancellationToken ct)
    {
        if (await StatAsync(path, ct) is not { IsRegular: true } entry || entry.Size > ExtFilesystem.MaxReadBytes)
        {
            return null;
        }

        var local = Path.Combine(_runDirectory, "download");
        try
        {
            var (ok, _, _) = await RemoteAsync(CommandTimeout, ct, "download", path, local);
            return ok && File.Exists(local) ? await File.ReadAllBytesAsync(local, ct) : null;
        }
        finally
        {
            File.Delete(local);
        }
    }

    private async Task MustAsync(TimeSpan timeout, CancellationToken ct, params string[] command)
    {
        var (ok, _, error) = await RemoteAsync(timeout, ct, command);
        if (!ok)
        {
            throw new IdentityException($"guestfish {string.Join(' ', command)} failed on the root filesystem: {Tail(error)}");
        }
    }

    /// <summary>
    /// One command in the session. It is sent with guestfish's "-" prefix: a failing command then leaves the session
    /// running (without it the server exits), and libguestfs's error on standard error is the failure.
    /// </summary>
    private Task<(bool Ok, string Output, string Error)> RemoteAsync(TimeSpan timeout, CancellationToken ct, params string[] command)
    {
        var pid = _pid ?? throw new ObjectDisposedException(nameof(XfsFilesystem));
        return RemoteOnceAsync(pid, timeout, ct, ["-" + command[0], .. command[1..]]);
    }

    private async Task<(bool Ok, string Output, string Error)> RemoteOnceAsync(int pid, TimeSpan timeout, CancellationToken ct, params string[] command)
    {
        string[] args = [string.Create(CultureInfo.InvariantCulture, $"--remote={pid}"), "--", .. command];
        ProcessResult result;
        try
        {
            result = await _runner.TryRunAsync(new ProcessSpec(Guestfish, args) { Timeout = timeout, Environment = _environment }, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A timeout or a tool that cannot start: the step failed (an IdentityException where it must succeed).
            return (false, string.Empty, e.Message);
        }

        var failed = result.ExitCode != 0 || result.StandardError.Contains("error:", StringComparison.Ordinal) || result.StandardError.Contains("not running", StringComparison.Ordinal);
        return (!failed, result.StandardOutput, result.StandardError);
    }

    private static Dictionary<string, long> Fields(string output)
    {
        var fields = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (Match m in Field().Matches(output))
        {
            fields[m.Groups["key"].Value] = long.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
        }

        return fields;
    }

    private static string Tail(string text)
    {
        var trimmed = text.Trim();
        return trimmed.Length <= 1200 ? trimmed : trimmed[^1200..];
    }
}
