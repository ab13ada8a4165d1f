using System.Text.RegularExpressions;
using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Storage.Identity;
using BladeProvisioner.Storage.Images.Initramfs;
using BladeProvisioner.Storage.Partitioning;
using Microsoft.Extensions.Logging.Abstractions;

namespace BladeProvisioner.Storage.Images;

/// <summary>
/// The Linux part of a preflight, offline and without mounting: finds ext root and /boot filesystems (debugfs, read
/// only) and FAT boot partitions (mtools), copies each initramfs out to a private temp directory and reads it
/// (<see cref="InitramfsReader"/>), and reads the kernel command line (GRUB), the partition references and cloud-init's
/// configuration. Adds its findings; returns false when no initramfs could be read, so the caller falls back to the
/// byte scan.
/// </summary>
internal sealed partial class LinuxBootInspector(IProcessRunner runner, InitramfsLimits limits)
{
    private static readonly string[] CmdlineFiles = ["/boot/grub/grub.cfg", "/boot/grub2/grub.cfg", "/etc/default/grub", "/etc/kernel/cmdline", "/boot/extlinux/extlinux.conf", "/boot/syslinux/syslinux.cfg"];

    /// <summary>Boot loader configuration on a FAT boot partition (syslinux, extlinux, a separate /boot's GRUB).</summary>
    private static readonly string[] FatCmdlineFiles = ["/syslinux.cfg", "/syslinux/syslinux.cfg", "/extlinux.conf", "/extlinux/extlinux.conf", "/EFI/BOOT/syslinux.cfg", "/grub/grub.cfg", "/grub2/grub.cfg"];

    [GeneratedRegex(@"^(initrd\.img-.+|initramfs-.+\.img|initrd\.img|initrd|initrd-.+)$")]
    private static partial Regex InitramfsName();

    [GeneratedRegex(@"^(vmlinuz|bzImage|kernel)(-.+)?$")]
    private static partial Regex KernelName();

    [GeneratedRegex(@"^\s*(linux|linuxefi|linux16)\s+\S+\s*(?<args>.*)$", RegexOptions.Multiline)]
    private static partial Regex GrubLinuxLine();

    [GeneratedRegex(@"^\s*GRUB_CMDLINE_LINUX(_DEFAULT)?=[""']?(?<args>[^""'\n]*)", RegexOptions.Multiline)]
    private static partial Regex GrubDefault();

    [GeneratedRegex(@"^\s*APPEND\s+(?<args>.*)$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex SyslinuxAppend();

    [GeneratedRegex(@"(?<=^|\s)root=(?<v>\S+)")]
    private static partial Regex RootArg();

    [GeneratedRegex(@"(?<=^|\s)console=\S+")]
    private static partial Regex ConsoleArg();

    [GeneratedRegex(@"(?<=^|\s)ip=(off|none)(?=\s|$)")]
    private static partial Regex IpOff();

    [GeneratedRegex(@"^\s*datasource_list\s*:\s*(?<inline>\[[^\]\n]*\])?", RegexOptions.Multiline)]
    private static partial Regex DatasourceList();

    /// <summary>An initramfs found in the image: where, its size when the listing gave one, and how to copy it out.</summary>
    private sealed record Source(string Name, long? Size, Func<string, CancellationToken, Task<bool>> CopyTo);

    public async Task<bool> InspectAsync(string path, IReadOnlyList<(int Number, long Offset, long Length)> regions, List<PreflightFinding> findings, CancellationToken ct)
    {
        var initramfs = new List<Source>();
        var kernels = new List<string>();
        var cmdline = new List<string>();
        ExtFilesystem? root = null;
        var rootNumber = 0;
        var xfs = new List<int>();
        using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            foreach (var (number, offset, length) in regions)
            {
                var head = new byte[Math.Min(FilesystemProbe.BytesNeeded, length)];
                var read = await RandomAccess.ReadAsync(file, head, offset, ct);
                switch (FilesystemProbe.Detect(head.AsSpan(0, read)))
                {
                    case FilesystemKind.Ext:
                        var fs = new ExtFilesystem(runner, path, offset, length);
                        var isRoot = await fs.StatAsync("/etc", ct) is { IsDirectory: true };
                        if (isRoot && root is null)
                        {
                            (root, rootNumber) = (fs, number);
                        }

                        // A root keeps the kernel in /boot; a separate /boot filesystem keeps it at its top.
                        var dir = isRoot ? "/boot" : "/";
                        foreach (var (name, mode, size) in await fs.ListAsync(dir, ct))
                        {
                            var where = $"{(dir == "/" ? "/" : "/boot/")}{name} on partition {number}";
                            if ((mode & 0xF000) != 0x8000)
                            {
                                continue; // symlinks (initrd.img -> initrd.img-6.1…) name files listed themselves
                            }

                            if (InitramfsName().IsMatch(name))
                            {
                                var inside = dir == "/" ? "/" + name : "/boot/" + name;
                                initramfs.Add(size > limits.MaxFileBytes
                                    ? new Source(where, size, (_, _) => Task.FromResult(false))
                                    : new Source(where, size, (local, token) => fs.DumpAsync(inside, local, token)));
                            }
                            else if (KernelName().IsMatch(name))
                            {
                                kernels.Add(where);
                            }
                        }

                        foreach (var config in CmdlineFiles)
                        {
                            var inside = isRoot ? config : config.StartsWith("/boot/", StringComparison.Ordinal) ? config[5..] : null;
                            if (inside is not null && await fs.ReadTextAsync(inside, ct) is { } text)
                            {
                                cmdline.AddRange(CommandLines(config, text));
                            }
                        }

                        break;
                    case FilesystemKind.Xfs:
                        xfs.Add(number);
                        break;
                    case FilesystemKind.Fat:
                        await AddFatAsync(path, number, offset, initramfs, kernels, cmdline, ct);
                        break;
                }
            }
        }

        findings.Add(root is not null
            ? new(PreflightFinding.Ok, "linux-root", $"Linux root filesystem (ext) on partition {rootNumber}.")
            : xfs.Count > 0
                ? new(PreflightFinding.Warning, "linux-root", $"The root filesystem on partition {xfs[0]} is XFS: there is no offline XFS reader here, so its /boot, initramfs and configuration were not inspected.")
                : new(PreflightFinding.Warning, "linux-root", "No Linux root filesystem (ext2/3/4 holding /etc) found."));
        findings.Add(kernels.Count > 0
            ? new(PreflightFinding.Ok, "kernel", $"Kernel: {string.Join("; ", kernels)}.")
            : new(PreflightFinding.Warning, "kernel", "No kernel (vmlinuz*) found in /boot or on a boot partition."));

        var allArgs = string.Join(' ', cmdline);
        var result = await ReadInitramfsAsync(initramfs, allArgs, findings, ct);
        findings.Add(CommandLineFinding(cmdline, result.Flavours));
        if (root is not null)
        {
            findings.Add(await ReferencesAsync(path, regions, ct));
            findings.Add(await CloudInitAsync(root, ct));
        }

        return result.Any;
    }

    private async Task<(bool Any, HashSet<string> Flavours)> ReadInitramfsAsync(List<Source> sources, string cmdline, List<PreflightFinding> findings, CancellationToken ct)
    {
        var flavours = new HashSet<string>(StringComparer.Ordinal);
        if (sources.Count == 0)
        {
            findings.Add(new(PreflightFinding.Warning, "initramfs", "No initramfs (initrd.img-*, initramfs-*.img) found in /boot or on a boot partition."));
            return (false, flavours);
        }

        var verdicts = new List<(string Level, string Message)>();
        var reader = new InitramfsReader(runner, limits);
        var temp = Directory.CreateTempSubdirectory("bp-preflight-");
        try
        {
            File.SetUnixFileMode(temp.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            for (var i = 0; i < sources.Count; i++)
            {
                var local = Path.Combine(temp.FullName, $"initramfs-{i}");
                if (sources[i].Size > limits.MaxFileBytes)
                {
                    findings.Add(new(PreflightFinding.Warning, "initramfs", $"{sources[i].Name}: {sources[i].Size} bytes, more than the {limits.MaxFileBytes} read: not inspected."));
                    continue;
                }

                if (!await sources[i].CopyTo(local, ct))
                {
                    findings.Add(new(PreflightFinding.Warning, "initramfs", $"{sources[i].Name}: could not be copied out of the image."));
                    continue;
                }

                var contents = await reader.ReadAsync(local, ct);
                File.Delete(local);
                var packed = contents.Layers.Count > 0 ? string.Join(" + ", contents.Layers) : "nothing readable";
                if (contents.Problem is not null)
                {
                    findings.Add(new(PreflightFinding.Warning, "initramfs", $"{sources[i].Name}: {packed}, {contents.Entries} entries read, then stopped: {contents.Problem}."));
                    continue;
                }

                var flavour = IscsiVerdict.Flavour(contents);
                flavours.Add(flavour);
                findings.Add(new(PreflightFinding.Ok, "initramfs", $"{sources[i].Name}: {packed}, {contents.Entries} entries, {flavour}."));
                verdicts.Add(IscsiVerdict.Judge(contents, sources[i].Name, cmdline));
            }
        }
        finally
        {
            temp.Delete(recursive: true);
        }

        if (verdicts.Count == 0)
        {
            return (false, flavours);
        }

        var bad = verdicts.FirstOrDefault(v => v.Level != PreflightFinding.Ok);
        var (level, message) = bad.Message is not null ? bad : verdicts[0];
        findings.Add(new(level, "iscsi-boot", $"{message.TrimEnd('.')} (read from the initramfs)."));
        return (true, flavours);
    }

    private async Task AddFatAsync(string path, int number, long offset, List<Source> initramfs, List<string> kernels, List<string> cmdline, CancellationToken ct)
    {
        var image = $"{path}@@{offset}";
        var listed = await runner.TryRunAsync(new ProcessSpec("mdir", ["-b", "-i", image, "::/"]) { Timeout = TimeSpan.FromSeconds(30), Environment = Mtools }, ct);
        foreach (var line in listed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var name = line.StartsWith("::/", StringComparison.Ordinal) ? line[3..] : line;
            if (name.EndsWith('/') || name.Contains('/', StringComparison.Ordinal))
            {
                continue;
            }

            var where = $"/{name} on partition {number}";
            if (InitramfsName().IsMatch(name))
            {
                initramfs.Add(new Source(where, null, async (local, token) =>
                    (await runner.TryRunAsync(new ProcessSpec("mcopy", ["-n", "-i", image, "::/" + name, local]) { Timeout = TimeSpan.FromSeconds(120), Environment = Mtools }, token)).ExitCode == 0
                    && File.Exists(local)));
            }
            else if (KernelName().IsMatch(name))
            {
                kernels.Add(where);
            }
        }

        foreach (var config in FatCmdlineFiles)
        {
            if (await ReadFatTextAsync(image, config, ct) is { } text)
            {
                cmdline.AddRange(CommandLines(config, text));
            }
        }
    }

    /// <summary>A small file of a FAT filesystem (mtools' <c>mtype</c>), at most <see cref="ExtFilesystem.MaxReadBytes"/>; null when missing.</summary>
    private async Task<string?> ReadFatTextAsync(string image, string file, CancellationToken ct)
    {
        var text = new MemoryStream();
        var result = await runner.TryRunAsync(
            new ProcessSpec("mtype", ["-i", image, "::" + file])
            {
                Timeout = TimeSpan.FromSeconds(30),
                Environment = Mtools,
                ReadStandardOutput = async (stdout, token) =>
                {
                    var buffer = new byte[1 << 16];
                    int n;
                    while (text.Length <= ExtFilesystem.MaxReadBytes && (n = await stdout.ReadAsync(buffer, token)) > 0)
                    {
                        text.Write(buffer, 0, n);
                    }
                },
            },
            ct);
        return result.ExitCode == 0 && text.Length is > 0 and <= ExtFilesystem.MaxReadBytes ? System.Text.Encoding.UTF8.GetString(text.ToArray()) : null;
    }

    private static readonly Dictionary<string, string> Mtools = new(StringComparer.Ordinal) { ["MTOOLS_SKIP_CHECK"] = "1" };

    private static IEnumerable<string> CommandLines(string config, string text) => config switch
    {
        "/etc/kernel/cmdline" => [text.Trim()],
        "/etc/default/grub" => GrubDefault().Matches(text).Select(m => m.Groups["args"].Value.Trim()),
        _ when config.EndsWith("linux.cfg", StringComparison.Ordinal) || config.EndsWith("linux.conf", StringComparison.Ordinal) => SyslinuxAppend().Matches(text).Select(m => m.Groups["args"].Value.Trim()),
        _ => GrubLinuxLine().Matches(text).Select(m => m.Groups["args"].Value.Trim()),
    };

    private static PreflightFinding CommandLineFinding(List<string> lines, HashSet<string> flavours)
    {
        if (lines.Count == 0)
        {
            return new(PreflightFinding.Warning, "kernel-cmdline", "No kernel command line found (GRUB's grub.cfg or /etc/default/grub, /etc/kernel/cmdline, syslinux.cfg or extlinux.conf).");
        }

        var all = string.Join(' ', lines);
        var parts = new List<string>();
        var roots = RootArg().Matches(all).Select(m => m.Groups["v"].Value).Distinct(StringComparer.Ordinal).ToList();
        parts.Add(roots.Count == 0 ? "no root= (the initramfs decides)" : "root by " + string.Join(", ", roots.Select(RootKind)));
        var consoles = ConsoleArg().Matches(all).Select(m => m.Value).Distinct(StringComparer.Ordinal).ToList();
        parts.Add(consoles.Count == 0 ? "no console= (a serial console shows nothing)" : string.Join(' ', consoles));
        var problems = new List<string>();
        if (IpOff().IsMatch(all))
        {
            problems.Add("ip=off stops the initramfs from configuring the iBFT NIC: remove it");
        }

        if (flavours.Contains("dracut") && !IscsiVerdict.HasFirmwareFlag(all))
        {
            problems.Add("dracut without rd.iscsi.firmware=1 ignores the iBFT: add it");
        }

        var message = string.Join("; ", parts);
        return problems.Count == 0
            ? new(PreflightFinding.Ok, "kernel-cmdline", message + ".")
            : new(PreflightFinding.Warning, "kernel-cmdline", $"{message}; {string.Join("; ", problems)}.");
    }

    private static string RootKind(string value) =>
        value.StartsWith("PARTUUID=", StringComparison.Ordinal) ? $"partition id ({value})"
        : value.StartsWith("UUID=", StringComparison.Ordinal) ? $"filesystem UUID ({value})"
        : value.StartsWith("LABEL=", StringComparison.Ordinal) || value.StartsWith("PARTLABEL=", StringComparison.Ordinal) ? $"label ({value})"
        : $"device path ({value}: may differ on a blade)";

    private async Task<PreflightFinding> ReferencesAsync(string path, IReadOnlyList<(int Number, long Offset, long Length)> regions, CancellationToken ct)
    {
        var layout = new VolumeLayout(
            PartitionScheme.Gpt,
            512,
            string.Empty,
            [.. regions.Select(r => new PartitionInfo(r.Number, r.Offset / 512, ((r.Offset + r.Length) / 512) - 1, string.Empty, null, false))]);
        var found = await new OsPersonalizer(runner, NullLogger<OsPersonalizer>.Instance).FindPartitionReferencesAsync(path, layout, ct);
        return found.Count == 0
            ? new(PreflightFinding.Ok, "partition-references", "The boot configuration names no partition by PARTUUID/PARTLABEL: clones may get new disk and partition ids.")
            : new(PreflightFinding.Ok, "partition-references", $"The boot configuration names partitions by id ({string.Join("; ", found)}): the Auto policy keeps the donor's disk and partition ids on clones.");
    }

    private static async Task<PreflightFinding> CloudInitAsync(ExtFilesystem root, CancellationToken ct)
    {
        if (await root.StatAsync("/etc/cloud/cloud.cfg", ct) is null && await root.StatAsync("/usr/bin/cloud-init", ct) is null)
        {
            return new(PreflightFinding.Ok, "cloud-init", "cloud-init is not installed.");
        }

        string? list = null;
        var sources = new List<string> { "/etc/cloud/cloud.cfg" };
        var dropIns = await root.ListAsync("/etc/cloud/cloud.cfg.d", ct);
        sources.AddRange(dropIns.Where(e => e.Name.EndsWith(".cfg", StringComparison.Ordinal)).Select(e => "/etc/cloud/cloud.cfg.d/" + e.Name).Order(StringComparer.Ordinal));
        foreach (var source in sources)
        {
            // Later files override earlier ones, as cloud-init merges them.
            if (await root.ReadTextAsync(source, ct) is { } text && DatasourceList().Match(text) is { Success: true } m)
            {
                list = m.Groups["inline"].Success ? m.Groups["inline"].Value : "(a block list)";
                list = $"{list} in {source}";
            }
        }

        if (list is null)
        {
            return new(PreflightFinding.Ok, "cloud-init", "cloud-init present; no datasource_list set, so the default list (with NoCloud) applies.");
        }

        return list.Contains("NoCloud", StringComparison.OrdinalIgnoreCase)
            ? new(PreflightFinding.Ok, "cloud-init", $"cloud-init present; datasource_list {list} allows NoCloud.")
            : new(PreflightFinding.Warning, "cloud-init", $"cloud-init present; datasource_list {list} does not allow NoCloud, so a NoCloud seed is ignored.");
    }
}
