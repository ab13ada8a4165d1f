using System.Text;
using System.Text.RegularExpressions;
using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Storage.Partitioning;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BladeProvisioner.Storage.Identity;

/// <summary>
/// Makes the OS on a freshly copied volume this blade's own machine, before the volume is exported: the root
/// filesystem grown to its (grown) partition, a new machine-id, new SSH host keys of the types the donor had, the
/// blade's hostname (and in /etc/hosts where the donor named itself), and the iSCSI initiator name file matching the
/// blade's IQN. ext2/3/4 roots are changed offline with e2fsprogs (nothing is mounted); XFS roots inside libguestfs's
/// own appliance VM (<see cref="XfsFilesystem"/>), never in the appliance's kernel. Running it again on the
/// same volume (a resumed clone) gives the same machine-id and hostname; the host keys are drawn again.
/// </summary>
public sealed partial class OsPersonalizer(IProcessRunner runner, ILogger<OsPersonalizer> logger)
{
    public const string SshKeygen = "/usr/bin/ssh-keygen";

    private static readonly string[] ReleaseFiles = ["/etc/os-release", "/usr/lib/os-release", "/etc/fstab"];
    private static readonly string[] BootConfigFiles = ["/etc/fstab", "/boot/grub/grub.cfg", "/etc/default/grub", "/etc/kernel/cmdline", "/grub/grub.cfg", "/boot/loader/entries"];
    private static readonly string[] KeyTypes = ["rsa", "ecdsa", "ed25519"];

    public OsPersonalizer()
        : this(new ProcessRunner(NullLogger<ProcessRunner>.Instance), NullLogger<OsPersonalizer>.Instance)
    {
    }

    [GeneratedRegex(@"^ssh_host_(?<type>[a-z0-9]+)_key$")]
    private static partial Regex HostKeyName();

    [GeneratedRegex(@"\b(PARTUUID|PARTLABEL)=\S+")]
    private static partial Regex PartitionReference();

    [GeneratedRegex(@"^\d+ (?<fp>SHA256:\S+) .* \((?<type>[A-Z0-9-]+)\)\s*$")]
    private static partial Regex Fingerprint();

    /// <summary>
    /// Where libguestfs keeps the appliance VM it builds on first use (supermin, a few hundred MiB, rebuilt when the
    /// host's packages change) and each session's run directory. The appliance sets it under its data directory.
    /// </summary>
    public string GuestfsCacheDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "bladeprovisioner-guestfs");

    /// <summary>
    /// The Linux root filesystem of a volume or donor: the first ext partition holding /etc and an os-release or fstab,
    /// else the first XFS partition that does (opened in a libguestfs session, which the caller disposes).
    /// Null with <paramref name="why"/> set when there is none (a non-Linux donor).
    /// </summary>
    internal async Task<(PartitionInfo Partition, IRootFilesystem Filesystem)?> FindRootAsync(string path, VolumeLayout layout, Action<string> why, CancellationToken ct)
    {
        var xfs = new List<PartitionInfo>();
        using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            foreach (var partition in layout.Partitions)
            {
                var offset = partition.FirstLba * layout.SectorSize;
                var length = partition.SectorCount * layout.SectorSize;
                var head = new byte[Math.Min(FilesystemProbe.BytesNeeded, length)];
                var read = await RandomAccess.ReadAsync(file, head, offset, ct);
                switch (FilesystemProbe.Detect(head.AsSpan(0, read)))
                {
                    case FilesystemKind.Ext:
                        var fs = new ExtFilesystem(runner, path, offset, length);
                        if (await IsLinuxRootAsync(fs, ct))
                        {
                            return (partition, fs);
                        }

                        break;
                    case FilesystemKind.Xfs:
                        xfs.Add(partition);
                        break;
                }
            }
        }

        foreach (var partition in xfs)
        {
            var fs = await XfsFilesystem.OpenAsync(runner, path, partition.Number, partition.SectorCount * layout.SectorSize, GuestfsCacheDirectory, ct);
            if (await IsLinuxRootAsync(fs, ct))
            {
                return (partition, fs);
            }

            await fs.DisposeAsync();
        }

        why(xfs.Count > 0
            ? $"no Linux root filesystem: no XFS partition ({string.Join(", ", xfs.Select(p => p.Number))}) holds /etc with an os-release or fstab"
            : "no Linux root filesystem (ext2/3/4 or XFS holding /etc) was found");
        return null;
    }

    private static async Task<bool> IsLinuxRootAsync(IRootFilesystem fs, CancellationToken ct)
    {
        if (await fs.StatAsync("/etc", ct) is not { IsDirectory: true })
        {
            return false;
        }

        foreach (var marker in ReleaseFiles)
        {
            if (await fs.StatAsync(marker, ct) is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether the Linux root of a volume has cloud-init (<c>/usr/bin/cloud-init</c> or <c>/etc/cloud/cloud.cfg</c>), read
    /// offline through the root filesystem (ext or XFS); null when no Linux root was found (the image's policy decides).
    /// </summary>
    public async Task<bool?> HasCloudInitAsync(string path, VolumeLayout layout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (await FindRootAsync(path, layout, _ => { }, ct) is not { } root)
        {
            return null;
        }

        await using var fs = root.Filesystem;
        return await fs.StatAsync("/usr/bin/cloud-init", ct) is not null || await fs.StatAsync("/etc/cloud/cloud.cfg", ct) is not null;
    }

    /// <summary>
    /// Where the donor's boot chain names partitions by PARTUUID or PARTLABEL (fstab, GRUB's config and defaults, the
    /// kernel command line): such a donor must keep its disk and partition ids, or it stops finding its root.
    /// </summary>
    public async Task<IReadOnlyList<string>> FindPartitionReferencesAsync(string path, VolumeLayout layout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var found = new List<string>();
        foreach (var partition in layout.Partitions)
        {
            if (await OpenExtAsync(path, layout, partition, ct) is not { } fs)
            {
                continue;
            }

            foreach (var config in BootConfigFiles)
            {
                if (await fs.ReadTextAsync(config, ct) is not { } text)
                {
                    continue;
                }

                foreach (var line in text.Split('\n'))
                {
                    var trimmed = line.TrimStart();
                    if (trimmed.StartsWith('#'))
                    {
                        continue;
                    }

                    foreach (Match m in PartitionReference().Matches(trimmed))
                    {
                        found.Add($"partition {partition.Number} {config}: {m.Value.TrimEnd('"', '\'')}");
                    }
                }
            }
        }

        return [.. found.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>
    /// After new disk ids were written: every PARTUUID of <paramref name="donor"/> that the boot configuration files of
    /// the volume's ext partitions name is replaced by the same partition's new id in <paramref name="volume"/>.
    /// Idempotent (old ids are looked up in the donor's table). Returns "partition N /etc/fstab" for each file rewritten.
    /// </summary>
    public async Task<IReadOnlyList<string>> RewritePartitionReferencesAsync(string path, VolumeLayout donor, VolumeLayout volume, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(donor);
        ArgumentNullException.ThrowIfNull(volume);
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var before in donor.Partitions)
        {
            if (volume.Partitions.FirstOrDefault(p => p.Number == before.Number) is not { } after)
            {
                continue;
            }

            var (from, to) = (PartUuid(donor, before), PartUuid(volume, after));
            if (from is not null && to is not null && !string.Equals(from, to, StringComparison.OrdinalIgnoreCase))
            {
                map[from] = to;
            }
        }

        var rewritten = new List<string>();
        if (map.Count == 0)
        {
            return rewritten;
        }

        var pattern = new Regex(string.Join('|', map.Keys.Select(Regex.Escape)), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(5));
        foreach (var partition in volume.Partitions)
        {
            if (await OpenExtAsync(path, volume, partition, ct) is not { } fs)
            {
                continue;
            }

            var writes = new List<ExtWrite>();
            foreach (var config in BootConfigFiles)
            {
                if (await fs.ReadTextAsync(config, ct) is not { } text || !pattern.IsMatch(text))
                {
                    continue;
                }

                var replaced = pattern.Replace(text, m => map[m.Value]);
                writes.Add(new ExtWrite(config, Encoding.UTF8.GetBytes(replaced), await ModeOrAsync(fs, config, 0x1A4, ct)));
                rewritten.Add($"partition {partition.Number} {config}");
            }

            await fs.WriteFilesAsync(writes, ct);
        }

        return rewritten;
    }

    /// <summary>The id Linux shows as PARTUUID: the GPT partition GUID, or for MBR the disk signature and the slot.</summary>
    private static string? PartUuid(VolumeLayout layout, PartitionInfo partition) =>
        layout.Scheme == PartitionScheme.Gpt
            ? partition.UniqueGuid?.ToString("D")
            : layout.DiskIdentifier.StartsWith("0x", StringComparison.Ordinal) ? $"{layout.DiskIdentifier[2..]}-{partition.Number:x2}" : null;

    private async Task<ExtFilesystem?> OpenExtAsync(string path, VolumeLayout layout, PartitionInfo partition, CancellationToken ct)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var offset = partition.FirstLba * layout.SectorSize;
        var length = partition.SectorCount * layout.SectorSize;
        var head = new byte[Math.Min(FilesystemProbe.BytesNeeded, length)];
        var read = await RandomAccess.ReadAsync(file, head, offset, ct);
        return FilesystemProbe.Detect(head.AsSpan(0, read)) == FilesystemKind.Ext ? new ExtFilesystem(runner, path, offset, length) : null;
    }

    /// <summary>Personalises the OS on the volume for <paramref name="identity"/>; see the class summary.</summary>
    public async Task<OsPersonalizeResult> PersonalizeAsync(string path, VolumeLayout layout, BladeIdentity identity, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(identity);
        string? why = null;
        var root = await FindRootAsync(path, layout, w => why = w, ct);
        if (root is not { } found)
        {
            LogSkipped(logger, path, why!);
            return OsPersonalizeResult.Nothing(why!);
        }

        var (partition, fs) = found;
        await using var opened = fs;
        await fs.CheckAsync(ct);
        var before = await fs.SizeAsync(ct);
        string? notGrown = null;
        if (fs.Length - before >= 1 << 20)
        {
            notGrown = await fs.GrowAsync(ct);
        }

        var after = await fs.SizeAsync(ct);
        var writes = new List<ExtWrite>();
        var donorHostname = (await fs.ReadTextAsync("/etc/hostname", ct))?.Trim();
        var machineId = Encoding.ASCII.GetBytes(identity.MachineId + "\n");
        writes.Add(new ExtWrite("/etc/machine-id", machineId, await ModeOrAsync(fs, "/etc/machine-id", 0x124, ct)));
        if (await fs.StatAsync("/var/lib/dbus/machine-id", ct) is { IsRegular: true } dbus)
        {
            writes.Add(new ExtWrite("/var/lib/dbus/machine-id", machineId, dbus.Mode & 0xFFF));
        }

        writes.Add(new ExtWrite("/etc/hostname", Encoding.ASCII.GetBytes(identity.Hostname + "\n"), await ModeOrAsync(fs, "/etc/hostname", 0x1A4, ct)));
        if (donorHostname is { Length: > 0 } && donorHostname != identity.Hostname
            && await fs.ReadTextAsync("/etc/hosts", ct) is { } hosts
            && RenameInHosts(hosts, donorHostname, identity.Hostname) is { } renamed)
        {
            writes.Add(new ExtWrite("/etc/hosts", Encoding.ASCII.GetBytes(renamed), await ModeOrAsync(fs, "/etc/hosts", 0x1A4, ct)));
        }

        var initiator = false;
        if (await fs.StatAsync("/etc/iscsi", ct) is { IsDirectory: true })
        {
            var text = $"## The iSCSI initiator name of this blade, written by BladeProvisioner when its volume was cloned.\nInitiatorName={identity.InitiatorIqn}\n";
            writes.Add(new ExtWrite("/etc/iscsi/initiatorname.iscsi", Encoding.ASCII.GetBytes(text), await ModeOrAsync(fs, "/etc/iscsi/initiatorname.iscsi", 0x180, ct)));
            initiator = true;
        }

        var fingerprints = new List<string>();
        using (var keys = new KeyStaging())
        {
            foreach (var (type, present) in await HostKeysAsync(fs, ct))
            {
                var keyPath = $"/etc/ssh/ssh_host_{type}_key";
                if (!KeyTypes.Contains(type))
                {
                    // A type this appliance does not make (DSA): removed, not carried over from the donor.
                    writes.Add(new ExtWrite(keyPath, null));
                    if (present.Contains(".pub"))
                    {
                        writes.Add(new ExtWrite(keyPath + ".pub", null));
                    }

                    continue;
                }

                var (privateKey, publicKey, fingerprint) = await keys.GenerateAsync(runner, type, identity.Hostname, ct);
                writes.Add(new ExtWrite(keyPath, privateKey, 0x180));
                writes.Add(new ExtWrite(keyPath + ".pub", publicKey, 0x1A4));
                fingerprints.Add(fingerprint);
            }
        }

        await fs.WriteFilesAsync(writes, ct);
        var result = new OsPersonalizeResult(
            partition.Number, fs.Kind, null, identity.MachineId, identity.Hostname, donorHostname, fingerprints, initiator, before, after)
        { NotGrown = notGrown };
        LogPersonalized(logger, path, result.Summary());
        return result;
    }

    /// <summary>The donor's host key types, each with the files present ("" for the private key, ".pub").</summary>
    private static async Task<List<(string Type, HashSet<string> Files)>> HostKeysAsync(IRootFilesystem fs, CancellationToken ct)
    {
        var found = new List<(string, HashSet<string>)>();
        if (await fs.StatAsync("/etc/ssh", ct) is not { IsDirectory: true })
        {
            return found;
        }

        foreach (var type in KeyTypes.Append("dsa"))
        {
            var files = new HashSet<string>(StringComparer.Ordinal);
            if (await fs.StatAsync($"/etc/ssh/ssh_host_{type}_key", ct) is not null)
            {
                files.Add(string.Empty);
            }

            if (await fs.StatAsync($"/etc/ssh/ssh_host_{type}_key.pub", ct) is not null)
            {
                files.Add(".pub");
            }

            if (files.Count > 0 && HostKeyName().IsMatch($"ssh_host_{type}_key"))
            {
                found.Add((type, files));
            }
        }

        return found;
    }

    private static async Task<int> ModeOrAsync(IRootFilesystem fs, string path, int fallback, CancellationToken ct) =>
        await fs.StatAsync(path, ct) is { IsRegular: true } e ? e.Mode & 0xFFF : fallback;

    /// <summary>/etc/hosts with the donor's own name replaced as a whole word on address lines; null when it names it nowhere.</summary>
    internal static string? RenameInHosts(string hosts, string donor, string blade)
    {
        var changed = false;
        var lines = hosts.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var comment = line.IndexOf('#', StringComparison.Ordinal);
            var body = comment < 0 ? line : line[..comment];
            var fields = body.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || !fields.Skip(1).Any(f => f == donor || f.StartsWith(donor + ".", StringComparison.Ordinal)))
            {
                continue;
            }

            var names = fields.Skip(1).Select(f => f == donor ? blade : f.StartsWith(donor + ".", StringComparison.Ordinal) ? blade + f[donor.Length..] : f);
            lines[i] = $"{fields[0]}\t{string.Join(' ', names)}" + (comment < 0 ? string.Empty : " " + line[comment..]);
            changed = true;
        }

        return changed ? string.Join('\n', lines) : null;
    }

    /// <summary>A private directory for ssh-keygen's output, removed with the keys in it.</summary>
    private sealed class KeyStaging : IDisposable
    {
        private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("bp-hostkeys-");

        public async Task<(byte[] Private, byte[] Public, string Fingerprint)> GenerateAsync(IProcessRunner runner, string type, string hostname, CancellationToken ct)
        {
            File.SetUnixFileMode(_dir.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var key = Path.Combine(_dir.FullName, type);
            await runner.RunAsync(new ProcessSpec(SshKeygen, ["-q", "-t", type, "-N", string.Empty, "-C", $"root@{hostname}", "-f", key]) { Timeout = TimeSpan.FromSeconds(60) }, ct);
            var listed = await runner.RunAsync(new ProcessSpec(SshKeygen, ["-l", "-f", key + ".pub"]), ct);
            var m = Fingerprint().Match(listed.StandardOutput.Trim());
            var fingerprint = m.Success ? $"{m.Groups["type"].Value} {m.Groups["fp"].Value}" : listed.StandardOutput.Trim();
            var result = (await File.ReadAllBytesAsync(key, ct), await File.ReadAllBytesAsync(key + ".pub", ct), fingerprint);
            File.Delete(key);
            File.Delete(key + ".pub");
            return result;
        }

        public void Dispose() => _dir.Delete(recursive: true);
    }

    [LoggerMessage(EventId = StorageEventIds.IdentityPersonalized, Level = LogLevel.Information, Message = "Personalised the OS on {Volume}: {Summary}")]
    private static partial void LogPersonalized(ILogger logger, string volume, string summary);

    [LoggerMessage(EventId = StorageEventIds.IdentitySkipped, Level = LogLevel.Information, Message = "Left the OS on {Volume} as the donor made it: {Why}")]
    private static partial void LogSkipped(ILogger logger, string volume, string why);
}
