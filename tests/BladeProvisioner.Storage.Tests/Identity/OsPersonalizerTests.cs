using System.Globalization;
using System.Security.Cryptography;
using BladeProvisioner.Storage.Cloning;
using BladeProvisioner.Storage.Identity;
using BladeProvisioner.Storage.Partitioning;
using BladeProvisioner.Storage.Tests.Cloning.Support;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Storage.Tests.Identity;

/// <summary>
/// A donor as a server in use leaves it (GPT with an ESP and an ext4 root built by mkfs.ext4 -d, a baked-in
/// machine-id, SSH host keys made by ssh-keygen, its own hostname in /etc/hostname and /etc/hosts, an iSCSI initiator
/// name), cloned into larger volumes and personalised by our code, then read back with e2fsprogs' own debugfs,
/// dumpe2fs and e2fsck: every clone is its own machine, the root filesystem fills its grown partition, and a damaged
/// or hostile root fails or stays inside the image.
/// </summary>
public sealed class OsPersonalizerTests : IDisposable
{
    private const long MiB = 1L << 20;
    private const long DonorSize = 64 * MiB;
    private const long VolumeSize = 160 * MiB;
    private const long RootOffset = 16 * MiB;
    private const string DonorIqn = "iqn.2004-10.com.example:donor";
    private readonly ScratchDirectory _dir = new();
    private readonly VolumePartitioner _partitioner = new();
    private readonly OsPersonalizer _os = new();
    private readonly VolumeCopier _copier = new();

    public void Dispose()
    {
        _copier.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task TwoClonesOfOneDonorAreDifferentMachinesWithTheirOwnNamesAndAGrownRoot()
    {
        Require();
        var donor = await DonorAsync(fstab: "UUID=0f0e0d0c-0000-4000-8000-000000000001 / ext4 defaults 0 1\n");
        var donorKey = await CatAsync(donor, "/etc/ssh/ssh_host_ed25519_key.pub");

        var (a, aResult) = await CloneAsync(donor, "a.raw", "blade-7", "iqn.2025-01.example.bp:blade-7");
        var (b, bResult) = await CloneAsync(donor, "b.raw", "blade-8", "iqn.2025-01.example.bp:blade-8");

        Assert.Null(aResult.Skipped);
        Assert.Null(aResult.NotGrown);
        Assert.Equal(2, aResult.RootPartition);
        Assert.Equal("donor-host", aResult.DonorHostname);
        Assert.Equal("blade-7", (await CatAsync(a, "/etc/hostname")).Trim());
        Assert.Equal("blade-8", (await CatAsync(b, "/etc/hostname")).Trim());
        Assert.Contains("127.0.1.1\tblade-7 blade-7.example.net", await CatAsync(a, "/etc/hosts"), StringComparison.Ordinal);
        Assert.DoesNotContain("\tdonor-host", await CatAsync(a, "/etc/hosts"), StringComparison.Ordinal);
        Assert.Contains("# donor-host in a comment", await CatAsync(a, "/etc/hosts"), StringComparison.Ordinal);
        Assert.Contains("127.0.0.1\tlocalhost", await CatAsync(a, "/etc/hosts"), StringComparison.Ordinal);

        var aId = (await CatAsync(a, "/etc/machine-id")).Trim();
        var bId = (await CatAsync(b, "/etc/machine-id")).Trim();
        Assert.Matches("^[0-9a-f]{32}$", aId);
        Assert.NotEqual(aId, bId);
        Assert.NotEqual(DonorMachineId, aId);
        Assert.Equal(aResult.MachineId, aId);
        Assert.Equal(aId, (await CatAsync(a, "/var/lib/dbus/machine-id")).Trim());

        // New host keys of the donor's two types; private keys root-only, each clone's differ from the donor's and each other.
        Assert.Equal(2, aResult.SshHostKeys.Count);
        var aKey = await CatAsync(a, "/etc/ssh/ssh_host_ed25519_key.pub");
        var bKey = await CatAsync(b, "/etc/ssh/ssh_host_ed25519_key.pub");
        Assert.StartsWith("ssh-ed25519 ", aKey, StringComparison.Ordinal);
        Assert.NotEqual(donorKey, aKey);
        Assert.NotEqual(aKey, bKey);
        Assert.Contains("0600", await StatModeAsync(a, "/etc/ssh/ssh_host_ed25519_key"), StringComparison.Ordinal);
        Assert.Contains("0600", await StatModeAsync(a, "/etc/ssh/ssh_host_rsa_key"), StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN OPENSSH PRIVATE KEY-----", await CatAsync(a, "/etc/ssh/ssh_host_rsa_key"), StringComparison.Ordinal);
        Assert.DoesNotContain(aResult.SshHostKeys, k => k.Contains(Fingerprint(donorKey), StringComparison.Ordinal));
        Assert.Contains(aResult.SshHostKeys, k => k == $"ED25519 {Fingerprint(aKey)}");

        Assert.Equal("InitiatorName=iqn.2025-01.example.bp:blade-7", (await CatAsync(a, "/etc/iscsi/initiatorname.iscsi")).Split('\n').Single(l => l.StartsWith("Initiator", StringComparison.Ordinal)));
        Assert.Contains("0600", await StatModeAsync(a, "/etc/iscsi/initiatorname.iscsi"), StringComparison.Ordinal);

        // The root filesystem fills its grown partition (the volume's end less the GPT backup), and e2fsck finds it clean.
        var partitionBytes = VolumeSize - RootOffset - (34 * 512);
        Assert.True(aResult.RootBytesBefore < 50 * MiB, $"before {aResult.RootBytesBefore}");
        Assert.InRange(aResult.RootBytesAfter, partitionBytes - (4 * MiB), partitionBytes);
        Assert.Equal(aResult.RootBytesAfter, await FilesystemBytesAsync(a));
        Assert.Equal(VolumeSize, new FileInfo(a).Length);
        Assert.Empty((await Tools.RunAsync("losetup", "--associated", a, "--noheadings")).StandardOutput);
        foreach (var volume in new[] { a, b })
        {
            Assert.Contains("No problems found", (await Tools.RunAsync("sgdisk", "-v", volume)).StandardOutput, StringComparison.Ordinal);
            var fsck = await Tools.TryRunAsync("e2fsck", "-fn", Spec(volume));
            Assert.True(fsck.ExitCode == 0, fsck.StandardOutput + fsck.StandardError);
        }

        // The same volume personalised again (a resumed clone) keeps its machine-id and hostname.
        var again = await _os.PersonalizeAsync(a, await _partitioner.VerifyAsync(a, Ct), Identity("blade-7", "iqn.2025-01.example.bp:blade-7", "a.raw"), Ct);
        Assert.Equal(aId, again.MachineId);
        Assert.Equal(aResult.RootBytesAfter, again.RootBytesAfter);
        Assert.Equal(aId, (await CatAsync(a, "/etc/machine-id")).Trim());
    }

    [Fact]
    public async Task ADonorWhoseFstabNamesAPartuuidIsReportedAndOneByUuidIsNot()
    {
        Require();
        var byPartuuid = await DonorAsync(fstab: "# PARTUUID=commented-out / ext4\nPARTUUID=6d8a2b3c-0000-4000-8000-000000000002 / ext4 defaults 0 1\n", name: "partuuid.raw");
        var byUuid = await DonorAsync(fstab: "UUID=0f0e0d0c-0000-4000-8000-000000000001 / ext4 defaults 0 1\n", name: "uuid.raw");

        var found = await _os.FindPartitionReferencesAsync(byPartuuid, (await _partitioner.ReadLayoutAsync(byPartuuid, Ct))!, Ct);
        var none = await _os.FindPartitionReferencesAsync(byUuid, (await _partitioner.ReadLayoutAsync(byUuid, Ct))!, Ct);

        Assert.Equal(["partition 2 /etc/fstab: PARTUUID=6d8a2b3c-0000-4000-8000-000000000002"], found);
        Assert.Empty(none);
    }

    [Fact]
    public async Task RegeneratedIdsAreWrittenIntoTheFstabThatNamedTheOldPartuuidAndARerunChangesNothingMore()
    {
        Require();
        const string rootGuid = "6d8a2b3c-1d2e-4f50-8a9b-0c1d2e3f4a5b";
        var donor = await DonorAsync(fstab: $"PARTUUID={rootGuid} / ext4 defaults 0 1\n", name: "regen.raw");
        await Tools.RunAsync("sgdisk", "-u", $"2:{rootGuid}", donor);
        var donorLayout = (await _partitioner.ReadLayoutAsync(donor, Ct))!;
        Assert.Equal(Guid.Parse(rootGuid), donorLayout.Partitions.Single(p => p.Number == 2).UniqueGuid);

        var volume = _dir.File("regen-volume.raw");
        await _copier.CopyAsync(new CopyRequest(donor, volume, VolumeSize), null, Ct);
        await _partitioner.PersonalizeAsync(volume, VolumeSize, PersonalizeOptions.Default with { IdentifierSeed = Seed("regen") }, Ct);
        var layout = await _partitioner.VerifyAsync(volume, Ct);
        var newGuid = layout.Partitions.Single(p => p.Number == 2).UniqueGuid!.Value.ToString("D");
        Assert.NotEqual(rootGuid, newGuid);

        var rewritten = await _os.RewritePartitionReferencesAsync(volume, donorLayout, layout, Ct);
        var again = await _os.RewritePartitionReferencesAsync(volume, donorLayout, layout, Ct);

        Assert.Equal(["partition 2 /etc/fstab"], rewritten);
        Assert.Empty(again);
        Assert.Equal($"PARTUUID={newGuid} / ext4 defaults 0 1\n", await CatAsync(volume, "/etc/fstab"));
    }

    [Fact]
    public async Task ASymlinkedHostnameInAHostileImageIsReplacedInsideTheImageAndTheFileItPointedAtIsUntouched()
    {
        Require();
        var donor = await DonorAsync(fstab: "UUID=0f0e0d0c-0000-4000-8000-000000000001 / ext4 defaults 0 1\n", hostnameLinksTo: "/etc/shadow");
        var shadowBefore = await CatAsync(donor, "/etc/shadow");

        var (volume, result) = await CloneAsync(donor, "v.raw", "blade-9", "iqn.2025-01.example.bp:blade-9");

        Assert.Null(result.Skipped);
        Assert.Equal("blade-9", (await CatAsync(volume, "/etc/hostname")).Trim());
        Assert.Contains("regular", (await Tools.RunAsync("debugfs", "-R", "stat /etc/hostname", Spec(volume))).StandardOutput, StringComparison.Ordinal);
        Assert.Equal(shadowBefore, await CatAsync(volume, "/etc/shadow"));
    }

    [Fact]
    public async Task ARootFilesystemWithErrorsPreenWillNotFixFailsWithAClearErrorAndADonorWithoutLinuxIsLeftAlone()
    {
        Require();
        var donor = await DonorAsync(fstab: "UUID=0f0e0d0c-0000-4000-8000-000000000001 / ext4 defaults 0 1\n");
        // A second name for a directory: e2fsck -p stops with "UNEXPECTED INCONSISTENCY" (exit 4).
        await Tools.RunAsync("debugfs", "-w", "-R", "ln /etc /etc2", Spec(donor));
        var volume = _dir.File("broken.raw");
        await _copier.CopyAsync(new CopyRequest(donor, volume, VolumeSize), null, Ct);
        var layout = (await _partitioner.PersonalizeAsync(volume, VolumeSize, PersonalizeOptions.Default with { IdentifierSeed = Seed("broken") }, Ct)).Layout;

        var ex = await Assert.ThrowsAsync<IdentityException>(() => _os.PersonalizeAsync(volume, layout, Identity("blade-1", "iqn.2025-01.example.bp:blade-1", "broken"), Ct));
        Assert.Contains("e2fsck", ex.Message, StringComparison.Ordinal);

        // A disk with only a FAT partition and an empty one: nothing to personalise, said plainly.
        var other = _dir.File("other.raw");
        SparseFiles.CreateData(other, 0, DonorSize);
        await Tools.RunAsync("sgdisk", "-n", "1:2048:+8M", "-t", "1:ef00", "-n", "2:0:0", "-t", "2:0700", other);
        await Tools.RunAsync("mkfs.vfat", "-F", "32", "--offset", "2048", other, "8192");
        var skipped = await _os.PersonalizeAsync(other, (await _partitioner.ReadLayoutAsync(other, Ct))!, Identity("blade-2", "iqn.2025-01.example.bp:blade-2", "other"), Ct);
        Assert.Contains("no Linux root filesystem", skipped.Skipped, StringComparison.Ordinal);
    }

    private const string DonorMachineId = "0123456789abcdef0123456789abcdef";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void Require()
    {
        Prerequisites.RequireRoot("loop devices for resize2fs");
        foreach (var tool in new[] { "debugfs", "e2fsck", "resize2fs", "dumpe2fs", "mkfs.ext4", "sgdisk", "ssh-keygen", "mkfs.vfat", "losetup" })
        {
            Tools.Resolve(tool);
        }
    }

    private static string Spec(string path) => string.Create(CultureInfo.InvariantCulture, $"{path}?offset={RootOffset}");

    private static BladeIdentity Identity(string hostname, string iqn, string seedName) => new(hostname, iqn, Seed(seedName));

    private static byte[] Seed(string name) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name))[..16];

    private async Task<(string Path, OsPersonalizeResult Result)> CloneAsync(string donor, string name, string hostname, string iqn)
    {
        var volume = _dir.File(name);
        await _copier.CopyAsync(new CopyRequest(donor, volume, VolumeSize), null, Ct);
        await _partitioner.PersonalizeAsync(volume, VolumeSize, PersonalizeOptions.Default with { IdentifierSeed = Seed(name) }, Ct);
        var layout = await _partitioner.VerifyAsync(volume, Ct);
        return (volume, await _os.PersonalizeAsync(volume, layout, Identity(hostname, iqn, name), Ct));
    }

    /// <summary>GPT: an 8 MiB ESP at 1 MiB, the ext4 root from 16 MiB to the end, its files from a directory tree.</summary>
    private async Task<string> DonorAsync(string fstab, string name = "donor.raw", string? hostnameLinksTo = null)
    {
        var tree = Path.Combine(_dir.Path, name + ".tree");
        foreach (var d in new[] { "etc/ssh", "etc/iscsi", "var/lib/dbus", "usr/lib" })
        {
            Directory.CreateDirectory(Path.Combine(tree, d));
        }

        await File.WriteAllTextAsync(Path.Combine(tree, "usr/lib/os-release"), "ID=debian\nVERSION_ID=\"12\"\n", Ct);
        File.CreateSymbolicLink(Path.Combine(tree, "etc/os-release"), "../usr/lib/os-release");
        await File.WriteAllTextAsync(Path.Combine(tree, "etc/machine-id"), DonorMachineId + "\n", Ct);
        await File.WriteAllTextAsync(Path.Combine(tree, "var/lib/dbus/machine-id"), DonorMachineId + "\n", Ct);
        await File.WriteAllTextAsync(Path.Combine(tree, "etc/hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\tdonor-host donor-host.example.net\n# donor-host in a comment\n", Ct);
        await File.WriteAllTextAsync(Path.Combine(tree, "etc/fstab"), fstab, Ct);
        await File.WriteAllTextAsync(Path.Combine(tree, "etc/motd"), "welcome\n", Ct);
        await File.WriteAllTextAsync(Path.Combine(tree, "etc/shadow"), "root:*:19000:0:99999:7:::\n", Ct);
        await File.WriteAllTextAsync(Path.Combine(tree, "etc/iscsi/initiatorname.iscsi"), $"InitiatorName={DonorIqn}\n", Ct);
        File.SetUnixFileMode(Path.Combine(tree, "etc/iscsi/initiatorname.iscsi"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        if (hostnameLinksTo is null)
        {
            await File.WriteAllTextAsync(Path.Combine(tree, "etc/hostname"), "donor-host\n", Ct);
        }
        else
        {
            File.CreateSymbolicLink(Path.Combine(tree, "etc/hostname"), hostnameLinksTo);
        }

        foreach (var type in new[] { "ed25519", "rsa" })
        {
            await Tools.RunAsync("ssh-keygen", "-q", "-t", type, "-N", string.Empty, "-C", "root@donor-host", "-f", Path.Combine(tree, $"etc/ssh/ssh_host_{type}_key"));
        }

        var donor = _dir.File(name);
        SparseFiles.CreateData(donor, 0, DonorSize);
        await Tools.RunAsync("sgdisk", "-n", "1:2048:+8M", "-t", "1:ef00", "-n", $"2:{RootOffset / 512}:0", "-t", "2:8300", donor);
        var rootKiB = (DonorSize - RootOffset - (34 * 512)) / 1024;
        await Tools.RunAsync("mkfs.ext4", "-q", "-F", "-E", $"offset={RootOffset}", "-d", tree, donor, string.Create(CultureInfo.InvariantCulture, $"{rootKiB}k"));
        return donor;
    }

    private static async Task<string> CatAsync(string volume, string path) =>
        (await Tools.RunAsync("debugfs", "-R", $"cat {path}", Spec(volume))).StandardOutput;

    private static async Task<string> StatModeAsync(string volume, string path) =>
        System.Text.RegularExpressions.Regex.Match((await Tools.RunAsync("debugfs", "-R", $"stat {path}", Spec(volume))).StandardOutput, @"Mode:\s+\d+").Value;

    private static async Task<long> FilesystemBytesAsync(string volume)
    {
        var header = (await Tools.RunAsync("dumpe2fs", "-h", Spec(volume))).StandardOutput;
        long Field(string name) => long.Parse(System.Text.RegularExpressions.Regex.Match(header, $@"^{name}:\s+(\d+)", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value, CultureInfo.InvariantCulture);
        return Field("Block count") * Field("Block size");
    }

    /// <summary>The SHA256 fingerprint of an OpenSSH public key line, as ssh-keygen -l prints it.</summary>
    private static string Fingerprint(string publicKeyLine)
    {
        var blob = Convert.FromBase64String(publicKeyLine.Split(' ')[1]);
        return "SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('=');
    }
}
