using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Storage.Cloning;
using BladeProvisioner.Storage.Identity;
using BladeProvisioner.Storage.Partitioning;
using BladeProvisioner.Storage.Tests.Cloning.Support;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Storage.Tests.Identity;

/// <summary>
/// A RHEL-style donor with an XFS root, made without mounting anything (mkfs.xfs -p populates it from a proto file,
/// dd puts it into a GPT disk), cloned into larger volumes and personalised by our code through libguestfs; then
/// checked with read-only tools: xfs_db for the size, xfs_repair -n for consistency, guestfish --ro for the files.
/// </summary>
public sealed class XfsPersonalizerTests : IDisposable
{
    private const long MiB = 1L << 20;
    private const long RootOffset = 1 * MiB;
    private const long RootSize = 320 * MiB; // mkfs.xfs refuses less than 300 MB
    private const long DonorSize = RootOffset + RootSize + MiB;
    private const long VolumeSize = 640 * MiB;
    private const string DonorMachineId = "0123456789abcdef0123456789abcdef";
    private readonly ScratchDirectory _dir = new();
    private readonly VolumePartitioner _partitioner = new();
    private readonly VolumeCopier _copier = new();
    private readonly OsPersonalizer _os;

    public XfsPersonalizerTests()
    {
        _os = new OsPersonalizer { GuestfsCacheDirectory = GuestfsCache };
    }

    /// <summary>Shared by the tests (libguestfs builds its appliance once per host, ~40 s, then reuses it).</summary>
    private static string GuestfsCache => Path.Combine(Path.GetTempPath(), "bp-tests-guestfs");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _copier.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task TwoXfsClonesAreDifferentMachinesWithAGrownCleanRoot()
    {
        Require();
        var donor = await DonorAsync("donor.raw", hostnameLinksTo: null);
        var donorBytes = await XfsBytesAsync(donor);
        var (a, aResult) = await CloneAsync(donor, "a.raw", "blade-21");
        var (b, bResult) = await CloneAsync(donor, "b.raw", "blade-22");

        Assert.Null(aResult.Skipped);
        Assert.Equal("xfs", aResult.RootFilesystem);
        Assert.Equal(1, aResult.RootPartition);
        Assert.Equal("donor-host", aResult.DonorHostname);
        Assert.Contains("root xfs on partition 1 grown", aResult.Summary(), StringComparison.Ordinal);

        // Grown to (nearly) the whole grown partition, and consistent.
        var aBytes = await XfsBytesAsync(a);
        Assert.Equal(donorBytes, aResult.RootBytesBefore);
        Assert.Equal(aBytes, aResult.RootBytesAfter);
        Assert.True(aBytes > VolumeSize - (8 * MiB), $"root is {aBytes} bytes in a {VolumeSize}-byte volume");
        await RepairCleanAsync(a);
        await RepairCleanAsync(b);

        var files = await ReadAsync([a, b], "/etc/hostname", "/etc/machine-id", "/var/lib/dbus/machine-id", "/etc/hosts",
            "/etc/iscsi/initiatorname.iscsi", "/etc/ssh/ssh_host_ed25519_key.pub", "/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_dsa_key");
        Assert.Equal("blade-21\n", files[(0, "/etc/hostname")]);
        Assert.Equal("blade-22\n", files[(1, "/etc/hostname")]);
        Assert.Equal(aResult.MachineId + "\n", files[(0, "/etc/machine-id")]);
        Assert.Equal(new BladeIdentity("x", "y", Seed("a.raw")).MachineId, aResult.MachineId);
        Assert.Equal(files[(0, "/etc/machine-id")], files[(0, "/var/lib/dbus/machine-id")]);
        Assert.NotEqual(DonorMachineId + "\n", files[(0, "/etc/machine-id")]);
        Assert.NotEqual(files[(0, "/etc/machine-id")], files[(1, "/etc/machine-id")]);
        Assert.Contains("127.0.1.1\tblade-21 blade-21.example.net", files[(0, "/etc/hosts")], StringComparison.Ordinal);
        Assert.Contains("InitiatorName=iqn.2025-01.example.bp:blade-21\n", files[(0, "/etc/iscsi/initiatorname.iscsi")], StringComparison.Ordinal);
        Assert.StartsWith("ssh-ed25519 ", files[(0, "/etc/ssh/ssh_host_ed25519_key.pub")], StringComparison.Ordinal);
        Assert.NotEqual(DonorKey, files[(0, "/etc/ssh/ssh_host_ed25519_key.pub")]);
        Assert.NotEqual(files[(0, "/etc/ssh/ssh_host_ed25519_key.pub")], files[(1, "/etc/ssh/ssh_host_ed25519_key.pub")]);
        Assert.StartsWith("-----BEGIN OPENSSH PRIVATE KEY-----", files[(0, "/etc/ssh/ssh_host_rsa_key")], StringComparison.Ordinal);
        Assert.False(files.ContainsKey((0, "/etc/ssh/ssh_host_dsa_key")), "the donor's DSA key was carried over");
        Assert.Equal(2, aResult.SshHostKeys.Count);
        Assert.Equal(2, bResult.SshHostKeys.Count);
    }

    [Fact]
    public async Task HostnameSymlinkToShadowInAnXfsDonorIsReplacedNotWrittenThrough()
    {
        Require();
        var donor = await DonorAsync("hostile.raw", hostnameLinksTo: "/etc/shadow");
        var (volume, result) = await CloneAsync(donor, "h.raw", "blade-23");

        Assert.Null(result.Skipped);
        var files = await ReadAsync([volume], "/etc/hostname", "/etc/shadow");
        Assert.Equal("blade-23\n", files[(0, "/etc/hostname")]);
        Assert.Equal(Shadow, files[(0, "/etc/shadow")]);
        await RepairCleanAsync(volume);
    }

    private const string Shadow = "root:*:19000:0:99999:7:::\n";
    private const string DonorKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDonorDonorDonorDonorDonorDonorDonorDonorDon root@donor-host\n";

    private static void Require()
    {
        Prerequisites.RequireRoot("libguestfs and loop-free XFS tools");
        foreach (var tool in new[] { "guestfish", "mkfs.xfs", "xfs_db", "xfs_repair", "sgdisk", "ssh-keygen" })
        {
            Tools.Resolve(tool);
        }
    }

    private static byte[] Seed(string name) => SHA256.HashData(Encoding.UTF8.GetBytes(name))[..16];

    private async Task<(string Path, OsPersonalizeResult Result)> CloneAsync(string donor, string name, string hostname)
    {
        var volume = _dir.File(name);
        await _copier.CopyAsync(new CopyRequest(donor, volume, VolumeSize), null, Ct);
        await _partitioner.PersonalizeAsync(volume, VolumeSize, PersonalizeOptions.Default with { IdentifierSeed = Seed(name) }, Ct);
        var layout = await _partitioner.VerifyAsync(volume, Ct);
        var identity = new BladeIdentity(hostname, $"iqn.2025-01.example.bp:{hostname}", Seed(name));
        return (volume, await _os.PersonalizeAsync(volume, layout, identity, Ct));
    }

    /// <summary>GPT with one Linux partition at 1 MiB holding an XFS made by mkfs.xfs -p from a proto file.</summary>
    private async Task<string> DonorAsync(string name, string? hostnameLinksTo)
    {
        var src = Directory.CreateDirectory(Path.Combine(_dir.Path, name + ".src")).FullName;
        string Source(string file, string content)
        {
            var p = Path.Combine(src, file);
            File.WriteAllText(p, content);
            return p;
        }

        await Tools.RunAsync("ssh-keygen", "-q", "-t", "rsa", "-N", string.Empty, "-f", Path.Combine(src, "rsa"));
        var proto = new StringBuilder("/dev/null\n0 0\nd--755 0 0\n");
        proto.Append("etc d--755 0 0\n");
        proto.Append(CultureInfo.InvariantCulture, $" os-release ---644 0 0 {Source("os-release", "ID=rocky\nVERSION_ID=\"9.4\"\n")}\n");
        proto.Append(CultureInfo.InvariantCulture, $" machine-id ---444 0 0 {Source("machine-id", DonorMachineId + "\n")}\n");
        proto.Append(CultureInfo.InvariantCulture, $" shadow ---640 0 0 {Source("shadow", Shadow)}\n");
        proto.Append(CultureInfo.InvariantCulture, $" hosts ---644 0 0 {Source("hosts", "127.0.0.1\tlocalhost\n127.0.1.1\tdonor-host donor-host.example.net\n")}\n");
        proto.Append(hostnameLinksTo is null
            ? $" hostname ---644 0 0 {Source("hostname", "donor-host\n")}\n"
            : $" hostname l--777 0 0 {hostnameLinksTo}\n");
        proto.Append(" ssh d--755 0 0\n");
        proto.Append(CultureInfo.InvariantCulture, $"  ssh_host_rsa_key ---600 0 0 {Path.Combine(src, "rsa")}\n");
        proto.Append(CultureInfo.InvariantCulture, $"  ssh_host_rsa_key.pub ---644 0 0 {Path.Combine(src, "rsa.pub")}\n");
        proto.Append(CultureInfo.InvariantCulture, $"  ssh_host_ed25519_key.pub ---644 0 0 {Source("ed.pub", DonorKey)}\n");
        proto.Append(CultureInfo.InvariantCulture, $"  ssh_host_ed25519_key ---600 0 0 {Source("ed", "not a key\n")}\n");
        proto.Append(CultureInfo.InvariantCulture, $"  ssh_host_dsa_key ---600 0 0 {Source("dsa", "old dsa key\n")}\n");
        proto.Append(" $\n");
        proto.Append(CultureInfo.InvariantCulture, $" iscsi d--755 0 0\n  initiatorname.iscsi ---600 0 0 {Source("iqn", "InitiatorName=iqn.2004-10.com.example:donor\n")}\n $\n");
        proto.Append("$\nvar d--755 0 0\n lib d--755 0 0\n  dbus d--755 0 0\n");
        proto.Append(CultureInfo.InvariantCulture, $"   machine-id ---444 0 0 {Path.Combine(src, "machine-id")}\n   $\n  $\n $\n$\n");
        var protoFile = Source("proto", proto.ToString());

        var fs = _dir.File(name + ".xfs");
        SparseFiles.CreateData(fs, 0, RootSize);
        await Tools.RunAsync("mkfs.xfs", "-q", "-p", protoFile, fs);
        var donor = _dir.File(name);
        SparseFiles.CreateData(donor, 0, DonorSize);
        await Tools.RunAsync("sgdisk", "-n", $"1:{RootOffset / 512}:+{RootSize / 512}", "-t", "1:8300", donor);
        await using (var from = File.OpenRead(fs))
        await using (var to = new FileStream(donor, FileMode.Open, FileAccess.Write))
        {
            to.Position = RootOffset;
            await from.CopyToAsync(to, Ct);
        }

        File.Delete(fs);
        return donor;
    }

    private static async Task<long> XfsBytesAsync(string volume)
    {
        var image = await PartitionImageAsync(volume);
        try
        {
            var printed = (await Tools.RunAsync("xfs_db", "-r", "-c", "sb 0", "-c", "p dblocks", "-c", "p blocksize", image)).StandardOutput;
            long Field(string n) => long.Parse(System.Text.RegularExpressions.Regex.Match(printed, $@"{n} = (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
            return Field("dblocks") * Field("blocksize");
        }
        finally
        {
            File.Delete(image);
        }
    }

    private static async Task RepairCleanAsync(string volume)
    {
        var image = await PartitionImageAsync(volume);
        try
        {
            var result = await Tools.TryRunAsync("xfs_repair", "-n", "-f", image);
            Assert.True(result.ExitCode == 0, $"xfs_repair -n: exit {result.ExitCode}: {result.StandardError}{result.StandardOutput}");
        }
        finally
        {
            File.Delete(image);
        }
    }

    /// <summary>The root partition copied out sparsely (the XFS tools take no offset).</summary>
    private static async Task<string> PartitionImageAsync(string volume)
    {
        var image = volume + ".p1";
        await Tools.RunAsync("dd", $"if={volume}", $"of={image}", "bs=1M", $"skip={RootOffset / MiB}", "conv=sparse", "status=none");
        return image;
    }

    /// <summary>Regular files of each volume's root read in one read-only guestfish run; missing ones are absent.</summary>
    private async Task<Dictionary<(int, string), string>> ReadAsync(string[] volumes, params string[] paths)
    {
        var outDir = Directory.CreateDirectory(Path.Combine(_dir.Path, "read-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var script = new StringBuilder("run\n");
        for (var v = 0; v < volumes.Length; v++)
        {
            script.Append(CultureInfo.InvariantCulture, $"mount-ro /dev/sd{(char)('a' + v)}1 /\n");
            for (var i = 0; i < paths.Length; i++)
            {
                script.Append(CultureInfo.InvariantCulture, $"-download {paths[i]} {outDir}/{v}-{i}\n");
            }

            script.Append("umount /\n");
        }

        var args = new List<string> { "--ro", "--format=raw" };
        foreach (var v in volumes)
        {
            args.AddRange(["-a", v]);
        }

        var env = new Dictionary<string, string>(StringComparer.Ordinal) { ["LIBGUESTFS_BACKEND"] = "direct", ["LIBGUESTFS_CACHEDIR"] = GuestfsCache, ["LIBGUESTFS_BACKEND_SETTINGS"] = "force_tcg" };
        await Tools.Runner.RunAsync(new ProcessSpec("/usr/bin/guestfish", args) { StandardInput = script.ToString(), Environment = env, Timeout = TimeSpan.FromMinutes(10) }, Ct);
        var found = new Dictionary<(int, string), string>();
        for (var v = 0; v < volumes.Length; v++)
        {
            for (var i = 0; i < paths.Length; i++)
            {
                var local = Path.Combine(outDir, $"{v}-{i}");
                if (File.Exists(local))
                {
                    found[(v, paths[i])] = await File.ReadAllTextAsync(local, Ct);
                }
            }
        }

        return found;
    }
}
