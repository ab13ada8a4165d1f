using System.Text;
using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Storage.CloudInit;
using BladeProvisioner.Storage.Tests.Cloning.Support;
using BladeProvisioner.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace BladeProvisioner.Storage.Tests.CloudInit;

/// <summary>
/// A NoCloud seed written by our code is read back with tools that never saw it: its boot sector says FAT with the label
/// CIDATA (what cloud-init's NoCloud looks for), mtools' mcopy extracts meta-data, user-data and vendor-data saying what
/// the settings said, the file is 0600, and building it again for a changed seed replaces it whole.
/// </summary>
public sealed class SeedImageWriterTests : IDisposable
{
    private const string Key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBladeProvisionerTestKeyOnlyForTests00000000 admin@example";
    private readonly ScratchDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task TheSeedIsAFatImageLabelledCidataHoldingWhatTheSettingsSay()
    {
        Prerequisites.RequireProgram(SeedImageWriter.MkfsVfat);
        Prerequisites.RequireProgram(SeedImageWriter.Mcopy);
        var writer = new SeedImageWriter(new ProcessRunner(NullLogger<ProcessRunner>.Instance));
        var path = Path.Combine(_dir.Path, "blade-7.seed");
        var seed = new NoCloudSeed
        {
            InstanceId = NoCloudSeed.InstanceIdFor(new byte[16]),
            Hostname = "web-07",
            SshAuthorizedKeys = [Key],
            ImageUserData = "#cloud-config\npackages: [nginx]\n",
            BladeUserData = "#!/bin/sh\necho blade-secret-xyz > /root/marker\n",
            PhoneHomeUrl = "http://10.99.0.1:8080/boot/phone-home/tok123",
        };

        await writer.WriteAsync(path, seed, TestContext.Current.CancellationToken);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(SeedImageWriter.SizeBytes, new FileInfo(path).Length);
        var boot = new byte[512];
        using (var f = File.OpenRead(path))
        {
            f.ReadExactly(boot);
        }

        // FAT12/16 extended boot record: volume label at 0x2B, file system type at 0x36 (Microsoft FAT spec §3.2).
        Assert.Equal("CIDATA     ", Encoding.ASCII.GetString(boot, 0x2B, 11));
        Assert.StartsWith("FAT1", Encoding.ASCII.GetString(boot, 0x36, 8), StringComparison.Ordinal);
        Assert.Equal(0x55, boot[510]);
        Assert.Equal(0xAA, boot[511]);

        var meta = Read(path, "meta-data");
        Assert.Equal($"instance-id: \"{seed.InstanceId}\"\nlocal-hostname: \"web-07\"\n", meta);
        Assert.Matches("^i-[0-9a-f]{16}$", seed.InstanceId);
        var user = Read(path, "user-data");
        Assert.StartsWith("Content-Type: multipart/mixed; boundary=", user, StringComparison.Ordinal);
        Assert.Contains($"ssh_authorized_keys:\n  - \"{Key}\"\n", user, StringComparison.Ordinal);
        var image = user.IndexOf("packages: [nginx]", StringComparison.Ordinal);
        var blade = user.IndexOf("echo blade-secret-xyz", StringComparison.Ordinal);
        Assert.True(image > 0 && blade > image, "the image's part comes before the blade's");
        Assert.Contains("Content-Type: text/x-shellscript", user, StringComparison.Ordinal);
        Assert.Contains($"Merge-Type: {NoCloudSeed.MergeType}", user, StringComparison.Ordinal);
        var vendor = Read(path, "vendor-data");
        Assert.Equal("#cloud-config\nphone_home:\n  url: \"http://10.99.0.1:8080/boot/phone-home/tok123\"\n  post: [pub_key_rsa, pub_key_ecdsa, pub_key_ed25519, instance_id, hostname, fqdn]\n  tries: 10\n", vendor);
        Assert.DoesNotContain("blade-secret-xyz", seed.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("tok123", seed.ToString(), StringComparison.Ordinal);

        // Rebuilt for another hostname: the file is replaced whole, no temporary left beside it.
        await writer.WriteAsync(path, new NoCloudSeed { InstanceId = seed.InstanceId, Hostname = "web-08" }, TestContext.Current.CancellationToken);
        Assert.Contains("local-hostname: \"web-08\"", Read(path, "meta-data"), StringComparison.Ordinal);
        Assert.Equal("#cloud-config\n{}\n", Read(path, "vendor-data"));
        // No keys and no user-data: the appliance's own part is an empty mapping, never an empty document (which cloud-init
        // reports as "Failed at merging in cloud config part … empty cloud config").
        Assert.Contains("Merge-Type: " + NoCloudSeed.MergeType + "\n\n#cloud-config\n{}\n--", Read(path, "user-data"), StringComparison.Ordinal);
        Assert.Equal(["blade-7.seed"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void TheInstanceIdIsTheSameForOneCloneAndNewForAnother()
    {
        var a = new byte[16];
        var b = new byte[16];
        b[0] = 1;
        Assert.Equal(NoCloudSeed.InstanceIdFor(a), NoCloudSeed.InstanceIdFor((byte[])a.Clone()));
        Assert.NotEqual(NoCloudSeed.InstanceIdFor(a), NoCloudSeed.InstanceIdFor(b));
    }

    [Theory]
    [InlineData("#cloud-config\nusers: []\n", null)]
    [InlineData("#!/bin/bash\ntrue\n", null)]
    [InlineData("Content-Type: multipart/mixed; boundary=x\n\n--x--\n", null)]
    [InlineData("users: []\n", "must start with")]
    [InlineData("", "must start with")]
    [InlineData("#cloud-config\n\0", "NUL")]
    [InlineData("#cloud-config\n--" + NoCloudSeed.Boundary, "boundary")]
    public void UserDataIsCloudConfigAScriptOrMime(string text, string? problem)
    {
        var found = UserDataRules.Validate(text);
        if (problem is null)
        {
            Assert.Null(found);
        }
        else
        {
            Assert.Contains(problem, found, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void UserDataLargerThanTheLimitIsRefused()
    {
        Assert.Null(UserDataRules.Validate("#cloud-config\n" + new string('a', UserDataRules.MaxBytes - 20)));
        Assert.Contains("larger than", UserDataRules.Validate("#cloud-config\n" + new string('a', UserDataRules.MaxBytes)), StringComparison.Ordinal);
    }

    private string Read(string image, string name)
    {
        var result = TestNetwork.Run("env", ["MTOOLS_SKIP_CHECK=1", SeedImageWriter.Mcopy, "-i", image, $"::/{name}", "-"], TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Stdout;
    }
}
