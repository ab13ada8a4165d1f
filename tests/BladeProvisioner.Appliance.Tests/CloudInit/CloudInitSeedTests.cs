using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using BladeProvisioner.Testing;
using Npgsql;

namespace BladeProvisioner.Appliance.Tests.CloudInit;

/// <summary>
/// A clone of a donor whose ext4 root has cloud-init gets a NoCloud seed as LUN 2 of its own target: read back over
/// iSCSI with the blade's CHAP (libiscsi, as the blade's OS reads its second disk) it is a FAT filesystem labelled
/// CIDATA whose meta-data, user-data and vendor-data say what the blade and settings say; another initiator cannot
/// read it. The vendor-data's phone-home URL is the boot API base the blade's iPXE used; posting to it with the posted
/// instance-id records blade.os-up once; a wrong token is 404 and records nothing.
/// </summary>
public sealed partial class CloudInitSeedTests(PostgresServer postgres)
{
    private const long MiB = 1L << 20;
    private const string Mac = "52:54:00:c1:00:01";
    private const string Intruder = "iqn.2026-11.local.test:intruder";

    [GeneratedRegex(@"/boot/choose\?blade=(?<blade>\d+)&image=(?<image>\d+)[^\s]*")]
    private static partial Regex ChooseLink();

    [Fact]
    public async Task ACloneWithCloudInitGetsASeedLunOnlyItsBladeReadsAndItsPhoneHomeRecordsOsUpOnce()
    {
        Prerequisites.RequireRoot("loop devices for resize2fs");
        Prerequisites.RequireProgram("/usr/sbin/mkfs.ext4");
        Prerequisites.RequireProgram("/usr/sbin/mkfs.vfat");
        Prerequisites.RequireProgram("/usr/bin/mcopy");
        Prerequisites.RequireProgram("/usr/sbin/fatlabel");
        Prerequisites.RequireProgram("/usr/lib/x86_64-linux-gnu/libiscsi.so.7");
        var ct = TestContext.Current.CancellationToken;
        var cs = await postgres.CreateEmptyDatabaseAsync("cloudinit");
        await using var factory = new ApplianceFactory(cs);
        factory.UseKestrel(ApplianceProcess.FreeTcpPort());
        factory.StartServer();
        await factory.Services.WaitReadyAsync(ct);
        using var api = factory.CreateClient();
        using var ipxe = factory.CreateClient();
        ipxe.DefaultRequestHeaders.Authorization = null;   // a blade (iPXE, its OS's cloud-init) never signs in

        var imageId = await ImportAsync(api, factory, "cloudy", WriteDonor(factory.Incoming, "cloudy", cloudInit: true), ct);
        // The image's settings: bad keys and bad user-data are 400 with a code and change nothing; good ones are shown by size
        // and hash, never the content.
        var adminKey = AdminKey();
        const string Secret = "s3cr3t-pa55-in-user-data";
        const string UserData = "#cloud-config\nbootcmd:\n  - echo " + Secret + " > /run/marker\n";
        await AssertProblemAsync(await api.PatchAsJsonAsync($"/api/images/{imageId}", new { cloudInit = new { sshAuthorizedKeys = new[] { "ssh-ed25519 not-a-key" } } }, ct), "INVALID_SSH_KEY", ct);
        await AssertProblemAsync(await api.PatchAsJsonAsync($"/api/images/{imageId}", new { cloudInit = new { userData = "packages: [x]\n" } }, ct), "INVALID_USER_DATA", ct);
        var untouched = await api.GetFromJsonAsync<JsonElement>($"/api/images/{imageId}", JsonDefaults.Options, ct);
        Assert.Equal(0, untouched.GetProperty("cloudInit").GetProperty("sshAuthorizedKeys").GetArrayLength());
        Assert.False(untouched.GetProperty("cloudInit").GetProperty("userDataSet").GetBoolean());
        using (var patched = await api.PatchAsJsonAsync($"/api/images/{imageId}", new { cloudInit = new { sshAuthorizedKeys = new[] { adminKey }, userData = UserData } }, ct))
        {
            var body = await patched.Content.ReadAsStringAsync(ct);
            Assert.True(patched.StatusCode == HttpStatusCode.OK, body);
            Assert.DoesNotContain(Secret, body, StringComparison.Ordinal);
            Assert.Contains("\"userDataSet\":true", body, StringComparison.Ordinal);
        }

        var menu = await ipxe.GetStringAsync(await TestBoot.IdentifyPathAsync(factory.Services, Mac.Replace(':', '-'), "platform=pcbios&buildarch=i386"), ct);
        var blade = (await api.GetFromJsonAsync<List<BladeDto>>("/api/blades", JsonDefaults.Options, ct))!.Single();
        // The blade's own settings: the same checks (and a mode is the image's, not the blade's); both apply to its clone,
        // the image's user-data part first, the blade's after it.
        var bladeKey = AdminKey();
        const string BladeSecret = "bl4de-0wn-s3cr3t";
        const string BladeUserData = "#cloud-config\nruncmd:\n  - echo " + BladeSecret + " > /run/blade-marker\n";
        await AssertProblemAsync(await api.PatchAsJsonAsync($"/api/blades/{blade.Id}", new { hostname = "renamed", cloudInit = new { sshAuthorizedKeys = new[] { "ssh-rsa AAAA" } } }, ct), "INVALID_SSH_KEY", ct);
        await AssertProblemAsync(await api.PatchAsJsonAsync($"/api/blades/{blade.Id}", new { cloudInit = new { userData = "just text" } }, ct), "INVALID_USER_DATA", ct);
        await AssertProblemAsync(await api.PatchAsJsonAsync($"/api/blades/{blade.Id}", new { cloudInit = new { mode = "Off" } }, ct), "VALIDATION_FAILED", ct);
        var bladeUntouched = await api.GetFromJsonAsync<JsonElement>($"/api/blades/{blade.Id}", JsonDefaults.Options, ct);
        Assert.NotEqual("renamed", bladeUntouched.GetProperty("hostname").GetString());
        Assert.False(bladeUntouched.GetProperty("cloudInit").GetProperty("userDataSet").GetBoolean());
        using (var patched = await api.PatchAsJsonAsync($"/api/blades/{blade.Id}", new { cloudInit = new { sshAuthorizedKeys = new[] { bladeKey }, userData = BladeUserData } }, ct))
        {
            var body = await patched.Content.ReadAsStringAsync(ct);
            Assert.True(patched.StatusCode == HttpStatusCode.OK, body);
            Assert.DoesNotContain(BladeSecret, body, StringComparison.Ordinal);
            Assert.Contains("\"userDataSet\":true", body, StringComparison.Ordinal);
            Assert.Contains(bladeKey, body, StringComparison.Ordinal);
        }

        var choose = ChooseLink().Matches(menu).Single(m => m.Groups["image"].Value == imageId.ToString(CultureInfo.InvariantCulture));
        var status = await ipxe.GetStringAsync(choose.Value, ct);
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (!status.Contains("reboot", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250, ct);
            status = await ipxe.GetStringAsync(TestBoot.StatusPath(status), ct);
        }

        Assert.True(status.Contains("reboot", StringComparison.Ordinal), status + "\n" + factory.Log.Read());
        var sanboot = await ipxe.GetStringAsync(await TestBoot.IdentifyPathAsync(factory.Services, Mac, "platform=pcbios&buildarch=i386"), ct);
        var volume = (await api.GetFromJsonAsync<List<VolumeDto>>($"/api/volumes?bladeId={blade.Id}", JsonDefaults.Options, ct))!.Single();
        var seeded = (await EventsAsync(api, blade.Id, ct)).Single(e => e.Kind == "volume.seeded");
        Assert.Contains("LUN 2", seeded.Summary, StringComparison.Ordinal);
        TestContext.Current.TestOutputHelper?.WriteLine($"seed: {seeded.Summary}");

        // The seed as the blade's OS reads it: LUN 2 of its target, with its CHAP both ways.
        var portal = $"127.0.0.1:{factory.PortalPort}";
        var seedBytes = LunReader.Read(
            portal, volume.TargetIqn, 2, 2 * MiB, Setting(sanboot, "initiator-iqn"), Setting(sanboot, "username"), Setting(sanboot, "password"),
            Setting(sanboot, "reverse-username"), Setting(sanboot, "reverse-password"));
        var copy = Path.Combine(Directory.CreateTempSubdirectory("bp-seed-read-").FullName, "seed.img");
        await File.WriteAllBytesAsync(copy, seedBytes, ct);
        Assert.Equal("CIDATA", TestNetwork.Run("/usr/sbin/fatlabel", [copy], TimeSpan.FromSeconds(30)).Stdout.Trim());
        var metaData = Mcopy(copy, "meta-data");
        var hostname = (await api.GetFromJsonAsync<JsonElement>($"/api/blades/{blade.Id}", JsonDefaults.Options, ct)).GetProperty("hostname").GetString() ?? $"blade-{blade.Id}";
        var instanceId = Regex.Match(metaData, "^instance-id: \"(i-[0-9a-f]{16})\"$", RegexOptions.Multiline).Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(instanceId), metaData);
        Assert.Contains($"local-hostname: \"{hostname}\"", metaData, StringComparison.Ordinal);
        var userData = Mcopy(copy, "user-data");
        Assert.StartsWith("Content-Type: multipart/mixed", userData, StringComparison.Ordinal);
        Assert.Contains(adminKey, userData, StringComparison.Ordinal);
        Assert.Contains(UserData, userData, StringComparison.Ordinal);
        Assert.Contains(bladeKey, userData, StringComparison.Ordinal);
        Assert.True(userData.IndexOf(BladeUserData, StringComparison.Ordinal) > userData.IndexOf(UserData, StringComparison.Ordinal), userData);
        var vendorData = Mcopy(copy, "vendor-data");
        var url = new Uri(Regex.Match(vendorData, "url: \"([^\"]+)\"").Groups[1].Value);
        Assert.Equal(ipxe.BaseAddress!.GetLeftPart(UriPartial.Authority), url.GetLeftPart(UriPartial.Authority));
        Assert.StartsWith("/cloud-init/phone-home/", url.AbsolutePath, StringComparison.Ordinal);
        Assert.Contains("post: [pub_key_rsa, pub_key_ecdsa, pub_key_ed25519, instance_id, hostname, fqdn]", vendorData, StringComparison.Ordinal);

        // Another initiator name with the blade's CHAP cannot read the seed (tgtd's ACL).
        Assert.Throws<InvalidOperationException>(() => LunReader.Read(
            portal, volume.TargetIqn, 2, 2 * MiB, Intruder, Setting(sanboot, "username"), Setting(sanboot, "password"),
            Setting(sanboot, "reverse-username"), Setting(sanboot, "reverse-password")));

        // A wrong token: 404, nothing on the timeline. The right one with the seed's instance: OS up, once.
        // The host key cloud-init posts is the one the clone was given offline (read from the volume, not from the API).
        var key = TestNetwork.Run(
            "/usr/sbin/debugfs", ["-R", "cat /etc/ssh/ssh_host_ed25519_key.pub", string.Create(CultureInfo.InvariantCulture, $"{volume.BackingPath}?offset={MiB}")], TimeSpan.FromSeconds(30)).Stdout.Trim();
        Assert.StartsWith("ssh-ed25519 ", key, StringComparison.Ordinal);
        FormUrlEncodedContent Post(string instance) => new(new Dictionary<string, string> { ["instance_id"] = instance, ["hostname"] = hostname, ["pub_key_ed25519"] = key });
        var wrong = url.AbsolutePath[..^64] + new string('0', 64);
        using (var refused = await ipxe.PostAsync(wrong, Post(instanceId), ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }

        using (var stale = await ipxe.PostAsync(url.AbsolutePath, Post("i-0000000000000000"), ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, stale.StatusCode);
        }

        Assert.DoesNotContain(await EventsAsync(api, blade.Id, ct), e => e.Kind == "blade.os-up");
        for (var i = 0; i < 2; i++)
        {
            using var ok = await ipxe.PostAsync(url.AbsolutePath, Post(instanceId), ct);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        var osUp = Assert.Single(await EventsAsync(api, blade.Id, ct), e => e.Kind == "blade.os-up");
        Assert.Contains(instanceId, osUp.Summary, StringComparison.Ordinal);
        Assert.Contains("host keys match the clone's", osUp.Summary, StringComparison.Ordinal);
        var boot = (await api.GetFromJsonAsync<BladeDto>($"/api/blades/{blade.Id}", JsonDefaults.Options, ct))!.LastBoot!;
        Assert.NotNull(boot.OsUpAt);
        Assert.True(boot.OsUpAfterSeconds >= 0);
        Assert.DoesNotContain(url.AbsolutePath[^64..], factory.Log.Read(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, factory.Log.Read(), StringComparison.Ordinal);
        Assert.DoesNotContain(BladeSecret, factory.Log.Read(), StringComparison.Ordinal);
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync(ct);
        foreach (var table in new[] { "donor_images", "blades", "boot_volumes", "events", "jobs" })
        {
            await using var cmd = new NpgsqlCommand($"SELECT coalesce(string_agg(t::text, '\n'), '') FROM {table} t", conn);
            var rows = (string)(await cmd.ExecuteScalarAsync(ct))!;
            Assert.DoesNotContain(Secret, rows, StringComparison.Ordinal);
            Assert.DoesNotContain(BladeSecret, rows, StringComparison.Ordinal);
            Assert.DoesNotContain(url.AbsolutePath[^64..], rows, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ACloneWithoutCloudInitGetsNoSeedLun()
    {
        Prerequisites.RequireRoot("loop devices for resize2fs");
        Prerequisites.RequireProgram("/usr/sbin/mkfs.ext4");
        Prerequisites.RequireProgram("/usr/bin/iscsi-ls");
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApplianceFactory(await postgres.CreateEmptyDatabaseAsync("nocloudinit"));
        await factory.Services.WaitReadyAsync(ct);
        using var api = factory.CreateClient();
        var imageId = await ImportAsync(api, factory, "plain", WriteDonor(factory.Incoming, "plain", cloudInit: false), ct);
        long blade;
        using (var created = await api.PostAsJsonAsync("/api/blades", new { bootMac = "52:54:00:c1:00:02", hostname = "plain-01" }, ct))
        {
            blade = (await created.Content.ReadFromJsonAsync<BladeDto>(JsonDefaults.Options, ct))!.Id;
        }

        using (var provision = await api.PostAsJsonAsync($"/api/blades/{blade}/provision", new { imageId, sizeBytes = 64 * MiB }, ct))
        {
            Assert.True(provision.StatusCode == HttpStatusCode.Accepted, await provision.Content.ReadAsStringAsync(ct));
        }

        var state = await Eventually.UntilAsync(
            async () => (await api.GetFromJsonAsync<BladeDto>($"/api/blades/{blade}", JsonDefaults.Options, ct))!.State,
            s => s is "Provisioned" or "Failed",
            TimeSpan.FromSeconds(180));
        Assert.Equal("Provisioned", state);
        var volume = (await api.GetFromJsonAsync<List<VolumeDto>>($"/api/volumes?bladeId={blade}", JsonDefaults.Options, ct))!.Single();
        Assert.DoesNotContain(await EventsAsync(api, blade, ct), e => e.Kind == "volume.seeded");
        Assert.False(File.Exists(volume.BackingPath + ".cidata"));
        var show = TestNetwork.Run("tgtadm", ["-C", factory.TgtControlPort.ToString(CultureInfo.InvariantCulture), "--lld", "iscsi", "--op", "show", "--mode", "target"], TimeSpan.FromSeconds(30));
        Assert.Contains(volume.TargetIqn, show.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("LUN: 2", show.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// The seed is part of the data plane: when tgtd dies, the appliance's reconciler rebuilds the blade's target from the
    /// database with its seed as LUN 2 again (same backing file, same CHAP), so a blade whose OS rereads its seed after
    /// the restart (cloud-init on its next boot) still finds it.
    /// </summary>
    [Fact]
    public async Task TheSeedLunComesBackWithItsTargetWhenTgtdIsRestarted()
    {
        Prerequisites.RequireRoot("loop devices for resize2fs");
        Prerequisites.RequireProgram("/usr/sbin/mkfs.ext4");
        Prerequisites.RequireProgram("/usr/sbin/mkfs.vfat");
        Prerequisites.RequireProgram("/usr/sbin/fatlabel");
        Prerequisites.RequireProgram("/usr/lib/x86_64-linux-gnu/libiscsi.so.7");
        const string Mac = "52:54:00:c1:00:03";
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApplianceFactory(await postgres.CreateEmptyDatabaseAsync("cloudinitrestart"));
        factory.UseKestrel(ApplianceProcess.FreeTcpPort());
        factory.StartServer();
        await factory.Services.WaitReadyAsync(ct);
        using var api = factory.CreateClient();
        var imageId = await ImportAsync(api, factory, "cloudy-restart", WriteDonor(factory.Incoming, "cloudy-restart", cloudInit: true), ct);
        long blade;
        using (var created = await api.PostAsJsonAsync("/api/blades", new { bootMac = Mac, hostname = "seeded-01" }, ct))
        {
            blade = (await created.Content.ReadFromJsonAsync<BladeDto>(JsonDefaults.Options, ct))!.Id;
        }

        using (var provision = await api.PostAsJsonAsync($"/api/blades/{blade}/provision", new { imageId, sizeBytes = 64 * MiB }, ct))
        {
            Assert.True(provision.StatusCode == HttpStatusCode.Accepted, await provision.Content.ReadAsStringAsync(ct));
        }

        var state = await Eventually.UntilAsync(
            async () => (await api.GetFromJsonAsync<BladeDto>($"/api/blades/{blade}", JsonDefaults.Options, ct))!.State,
            s => s is "Provisioned" or "Failed",
            TimeSpan.FromSeconds(180));
        Assert.True(state == "Provisioned", factory.Log.Read());
        var volume = (await api.GetFromJsonAsync<List<VolumeDto>>($"/api/volumes?bladeId={blade}", JsonDefaults.Options, ct))!.Single();
        using var ipxe = factory.CreateClient();
        var sanboot = await ipxe.GetStringAsync(await TestBoot.IdentifyPathAsync(factory.Services, Mac, "platform=pcbios&buildarch=i386"), ct);
        var before = ReadSeed(factory, volume, sanboot);
        Assert.Equal("seeded-01", Hostname(before));

        var port = factory.TgtControlPort.ToString(CultureInfo.InvariantCulture);
        var pid = File.ReadAllText($"/run/tgtd/bladeprovisioner.{port}.pid").Trim();
        Assert.Equal(0, TestNetwork.Run("kill", ["-KILL", pid], TimeSpan.FromSeconds(5)).ExitCode);
        var show = await Eventually.UntilAsync(
            () => Task.FromResult(TestNetwork.Run("tgtadm", ["-C", port, "--lld", "iscsi", "--op", "show", "--mode", "target"], TimeSpan.FromSeconds(30))),
            r => r.ExitCode == 0 && r.Stdout.Contains("LUN: 2", StringComparison.Ordinal) && File.ReadAllText($"/run/tgtd/bladeprovisioner.{port}.pid").Trim() != pid,
            TimeSpan.FromSeconds(60));
        Assert.Contains($"Backing store path: {volume.BackingPath}.cidata", show.Stdout, StringComparison.Ordinal);
        var after = ReadSeed(factory, volume, sanboot);
        Assert.Equal(before, after);
    }

    private static byte[] ReadSeed(ApplianceFactory factory, VolumeDto volume, string sanboot)
    {
        var seed = LunReader.Read(
            $"127.0.0.1:{factory.PortalPort}", volume.TargetIqn, 2, 2 * MiB, Setting(sanboot, "initiator-iqn"), Setting(sanboot, "username"),
            Setting(sanboot, "password"), Setting(sanboot, "reverse-username"), Setting(sanboot, "reverse-password"));
        Assert.Equal(2 * MiB, seed.LongLength);
        return seed;
    }

    private static string Hostname(byte[] seed)
    {
        var copy = Path.Combine(Directory.CreateTempSubdirectory("bp-seed-read-").FullName, "seed.img");
        File.WriteAllBytes(copy, seed);
        Assert.Equal("CIDATA", TestNetwork.Run("/usr/sbin/fatlabel", [copy], TimeSpan.FromSeconds(30)).Stdout.Trim());
        return Regex.Match(Mcopy(copy, "meta-data"), "^local-hostname: \"([^\"]+)\"$", RegexOptions.Multiline).Groups[1].Value;
    }

    private static string AdminKey()
    {
        var dir = Directory.CreateTempSubdirectory("bp-admin-key-").FullName;
        try
        {
            var r = TestNetwork.Run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", string.Empty, "-C", "admin@example", "-f", Path.Combine(dir, "id")], TimeSpan.FromSeconds(30));
            Assert.True(r.ExitCode == 0, r.Stderr);
            return File.ReadAllText(Path.Combine(dir, "id.pub")).Trim();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, string code, CancellationToken ct)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
            Assert.Equal(code, JsonSerializer.Deserialize<ProblemDto>(body, JsonDefaults.Options)!.Code);
        }
    }

    private static string Mcopy(string image, string name)
    {
        var r = TestNetwork.Run("env", ["MTOOLS_SKIP_CHECK=1", "/usr/bin/mcopy", "-i", image, "::" + name, "-"], TimeSpan.FromSeconds(30));
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r.Stdout;
    }

    private static async Task<long> ImportAsync(HttpClient api, ApplianceFactory factory, string name, string path, CancellationToken ct)
    {
        using (var import = await api.PostAsJsonAsync("/api/images/import", new { name, operatingSystem = "Test", bootMode = "Bios", path }, ct))
        {
            Assert.True(import.StatusCode == HttpStatusCode.Accepted, await import.Content.ReadAsStringAsync(ct));
        }

        var image = await Eventually.UntilAsync(
            async () => (await api.GetFromJsonAsync<List<JsonElement>>("/api/images", JsonDefaults.Options, ct))!.Single(i => i.GetProperty("name").GetString() == name),
            i => i.GetProperty("state").GetString() is "Active" or "Failed",
            TimeSpan.FromSeconds(120));
        Assert.True(image.GetProperty("state").GetString() == "Active", factory.Log.Read());
        return image.GetProperty("id").GetInt64();
    }

    /// <summary>MBR with one ext4 partition from 1 MiB (os-release, fstab, and with cloud-init /etc/cloud/cloud.cfg).</summary>
    private static string WriteDonor(string directory, string name, bool cloudInit)
    {
        var tree = Directory.CreateTempSubdirectory("bp-donor-tree-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(tree, "etc/cloud"));
            File.WriteAllText(Path.Combine(tree, "etc/os-release"), "ID=debian\n");
            File.WriteAllText(Path.Combine(tree, "etc/fstab"), "/dev/sda1 / ext4 defaults 0 1\n");
            if (cloudInit)
            {
                File.WriteAllText(Path.Combine(tree, "etc/cloud/cloud.cfg"), "datasource_list: [ NoCloud, None ]\n");
                Directory.CreateDirectory(Path.Combine(tree, "etc/ssh"));
                var keygen = TestNetwork.Run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", string.Empty, "-f", Path.Combine(tree, "etc/ssh/ssh_host_ed25519_key")], TimeSpan.FromSeconds(30));
                Assert.True(keygen.ExitCode == 0, keygen.Stderr);
            }

            var path = Path.Combine(directory, name + ".raw");
            using (var f = File.Create(path))
            {
                f.SetLength(48 * MiB);
            }

            var sfdisk = TestNetwork.Run("sh", ["-c", $"printf 'label: dos\\n1MiB,,L,*\\n' | /usr/sbin/sfdisk -q {path}"], TimeSpan.FromSeconds(60));
            Assert.True(sfdisk.ExitCode == 0, sfdisk.Stderr);
            var mkfs = TestNetwork.Run("/usr/sbin/mkfs.ext4", ["-q", "-F", "-E", $"offset={MiB}", "-d", tree, path, $"{47 * 1024}k"], TimeSpan.FromSeconds(60));
            Assert.True(mkfs.ExitCode == 0, mkfs.Stderr);
            return path;
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
        }
    }

    private static async Task<List<EventDto>> EventsAsync(HttpClient api, long bladeId, CancellationToken ct) =>
        (await api.GetFromJsonAsync<List<EventDto>>($"/api/events?bladeId={bladeId}&limit=500", JsonDefaults.Options, ct))!;

    private static string Setting(string script, string name) =>
        Regex.Match(script, $"^set {Regex.Escape(name)} (\\S+)$", RegexOptions.Multiline) is { Success: true } m
            ? m.Groups[1].Value
            : throw new Xunit.Sdk.XunitException($"no 'set {name}' in the script:\n{script}");
}
