using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests.Identity;

/// <summary>
/// The per-image personalisation policy through the API and the clone job, on a donor whose root (an ext4 made by
/// mkfs.ext4 -d, with a baked-in machine-id and hostname) is named in its fstab by PARTUUID: under Auto the clone keeps
/// the disk id and gets the blade's machine-id and hostname; after PATCH to Regenerate + Off the next clone gets a new
/// disk id with its fstab rewritten to it, and its OS is left as the donor made it. Bad PATCH bodies are 400/404 and
/// change nothing. Every figure is read from the volume file with debugfs and sfdisk, not from what the API says.
/// </summary>
public sealed class ImagePolicyTests(PostgresServer postgres)
{
    private const long MiB = 1L << 20;
    private const string DonorMachineId = "00112233445566778899aabbccddeeff";

    [Fact]
    public async Task AutoKeepsAPartuuidDonorsIdsAndPersonalisesItsOsRegenerateRewritesTheFstabAndOffLeavesTheOsAlone()
    {
        Prerequisites.RequireRoot("loop devices for resize2fs");
        Prerequisites.RequireProgram("/usr/sbin/debugfs");
        Prerequisites.RequireProgram("/usr/sbin/mkfs.ext4");
        Prerequisites.RequireProgram("/usr/sbin/sfdisk");
        Prerequisites.RequireProgram("/usr/bin/ssh-keygen");
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApplianceFactory(await postgres.CreateEmptyDatabaseAsync("imagepolicy"));
        await factory.Services.WaitReadyAsync(ct);
        using var api = factory.CreateClient();

        var donor = WriteDonor(factory.Incoming);
        using (var import = await api.PostAsJsonAsync("/api/images/import", new { name = "partuuid", operatingSystem = "Test", bootMode = "Bios", path = donor }, ct))
        {
            Assert.True(import.StatusCode == HttpStatusCode.Accepted, await import.Content.ReadAsStringAsync(ct));
        }

        var image = await Eventually.UntilAsync(
            async () => (await api.GetFromJsonAsync<List<JsonElement>>("/api/images", JsonDefaults.Options, ct))!.Single(),
            i => i.GetProperty("state").GetString() is "Active" or "Failed",
            TimeSpan.FromSeconds(120));
        var imageId = image.GetProperty("id").GetInt64();
        Assert.Equal("Identity", image.GetProperty("osPersonalization").GetString());
        Assert.Equal("Auto", image.GetProperty("diskIdentifiers").GetString());

        // Auto: the fstab names the root by PARTUUID, so the disk id stays; the OS becomes the blade's.
        var (first, firstVolume) = await ProvisionAsync(api, "52:54:00:1d:00:01", "web-01", imageId, ct);
        Assert.Equal("0x1dc0ffee", await DiskIdAsync(firstVolume));
        var cloned = await EventAsync(api, first, "volume.cloned", ct);
        Assert.Contains("kept (partition 1 /etc/fstab: PARTUUID=1dc0ffee-01)", cloned.GetProperty("summary").GetString(), StringComparison.Ordinal);
        var personalised = await EventAsync(api, first, "volume.personalised", ct);
        var details = JsonDocument.Parse(personalised.GetProperty("details").GetString()!).RootElement;
        var machineId = details.GetProperty("machineId").GetString();
        Assert.Equal(machineId, (await CatAsync(firstVolume, "/etc/machine-id")).Trim());
        Assert.NotEqual(DonorMachineId, machineId);
        Assert.Equal("web-01", (await CatAsync(firstVolume, "/etc/hostname")).Trim());
        Assert.Equal("donor-host", details.GetProperty("donorHostname").GetString());

        // Bad bodies: 400 with a code, 404 for an unknown image; nothing changes.
        await AssertProblemAsync(await api.PatchAsJsonAsync($"/api/images/{imageId}", new { }, ct), HttpStatusCode.BadRequest, ct);
        using (var bad = new StringContent("""{"diskIdentifiers":"Sometimes"}""", System.Text.Encoding.UTF8, "application/json"))
        {
            await AssertProblemAsync(await api.PatchAsync($"/api/images/{imageId}", bad, ct), HttpStatusCode.BadRequest, ct);
        }

        await AssertProblemAsync(await api.PatchAsJsonAsync("/api/images/999999", new { diskIdentifiers = "Keep" }, ct), HttpStatusCode.NotFound, ct);
        var unchanged = await api.GetFromJsonAsync<JsonElement>($"/api/images/{imageId}", JsonDefaults.Options, ct);
        Assert.Equal("Auto", unchanged.GetProperty("diskIdentifiers").GetString());

        // Regenerate + Off: a new disk id, the fstab rewritten to it, and the donor's own machine-id and hostname.
        using (var patched = await api.PatchAsJsonAsync($"/api/images/{imageId}", new { diskIdentifiers = "Regenerate", osPersonalization = "Off" }, ct))
        {
            var body = await patched.Content.ReadAsStringAsync(ct);
            Assert.True(patched.StatusCode == HttpStatusCode.OK, body);
            Assert.Contains("\"osPersonalization\":\"Off\"", body, StringComparison.Ordinal);
        }

        var (second, secondVolume) = await ProvisionAsync(api, "52:54:00:1d:00:02", "web-02", imageId, ct);
        var newId = await DiskIdAsync(secondVolume);
        Assert.NotEqual("0x1dc0ffee", newId);
        Assert.Equal($"PARTUUID={newId[2..]}-01 / ext4 defaults 0 1\n", await CatAsync(secondVolume, "/etc/fstab"));
        Assert.Equal(DonorMachineId, (await CatAsync(secondVolume, "/etc/machine-id")).Trim());
        Assert.Equal("donor-host", (await CatAsync(secondVolume, "/etc/hostname")).Trim());
        Assert.Contains("OS personalisation is off", (await EventAsync(api, second, "volume.personalised", ct)).GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains("PARTUUID references rewritten in partition 1 /etc/fstab", (await EventAsync(api, second, "volume.cloned", ct)).GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains((await api.GetFromJsonAsync<List<JsonElement>>($"/api/events?imageId={imageId}&kind=image.policy", JsonDefaults.Options, ct))!, e => e.GetProperty("summary").GetString()!.Contains("disk ids Regenerate", StringComparison.Ordinal));
    }

    /// <summary>MBR, signature 0x1dc0ffee, one ext4 partition from 1 MiB whose fstab names it as PARTUUID=1dc0ffee-01.</summary>
    private static string WriteDonor(string directory)
    {
        var tree = Directory.CreateTempSubdirectory("bp-donor-tree-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(tree, "etc"));
            File.WriteAllText(Path.Combine(tree, "etc/os-release"), "ID=debian\n");
            File.WriteAllText(Path.Combine(tree, "etc/machine-id"), DonorMachineId + "\n");
            File.WriteAllText(Path.Combine(tree, "etc/hostname"), "donor-host\n");
            File.WriteAllText(Path.Combine(tree, "etc/fstab"), "PARTUUID=1dc0ffee-01 / ext4 defaults 0 1\n");
            var path = Path.Combine(directory, "partuuid.raw");
            using (var f = File.Create(path))
            {
                f.SetLength(48 * MiB);
            }

            Run("/usr/sbin/sfdisk", ["-q", path], "label: dos\nlabel-id: 0x1dc0ffee\n1MiB,,L,*\n");
            Run("/usr/sbin/mkfs.ext4", ["-q", "-F", "-E", $"offset={MiB}", "-d", tree, path, $"{47 * 1024}k"]);
            return path;
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
        }
    }

    private static void Run(string program, string[] args, string? stdin = null)
    {
        var result = stdin is null
            ? TestNetwork.Run(program, args, TimeSpan.FromSeconds(60))
            : TestNetwork.Run("sh", ["-c", $"printf '{stdin.Replace("\n", "\\n", StringComparison.Ordinal)}' | {program} {string.Join(' ', args)}"], TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, $"{program}: {result.Stdout}{result.Stderr}");
    }

    private static async Task<(long Blade, string Volume)> ProvisionAsync(HttpClient api, string mac, string hostname, long imageId, CancellationToken ct)
    {
        long blade;
        using (var created = await api.PostAsJsonAsync("/api/blades", new { bootMac = mac, hostname }, ct))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync(ct));
            blade = (await created.Content.ReadFromJsonAsync<BladeDto>(JsonDefaults.Options, ct))!.Id;
        }

        using (var provision = await api.PostAsJsonAsync($"/api/blades/{blade}/provision", new { imageId, sizeBytes = 96 * MiB }, ct))
        {
            Assert.True(provision.StatusCode == HttpStatusCode.Accepted, await provision.Content.ReadAsStringAsync(ct));
        }

        var state = await Eventually.UntilAsync(
            async () => (await api.GetFromJsonAsync<BladeDto>($"/api/blades/{blade}", JsonDefaults.Options, ct))!.State,
            s => s is "Provisioned" or "Failed",
            TimeSpan.FromSeconds(180));
        Assert.Equal("Provisioned", state);
        var volume = (await api.GetFromJsonAsync<List<VolumeDto>>($"/api/volumes?bladeId={blade}", JsonDefaults.Options, ct))!.Single();
        return (blade, volume.BackingPath);
    }

    private static async Task<JsonElement> EventAsync(HttpClient api, long blade, string kind, CancellationToken ct) =>
        (await api.GetFromJsonAsync<List<JsonElement>>($"/api/events?bladeId={blade}&kind={kind}", JsonDefaults.Options, ct))!
            .Single(e => e.GetProperty("kind").GetString() == kind);

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, CancellationToken ct)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
            Assert.False(string.IsNullOrEmpty(JsonSerializer.Deserialize<ProblemDto>(body, JsonDefaults.Options)!.Code), body);
        }
    }

    private static Task<string> CatAsync(string volume, string path) =>
        Task.FromResult(TestNetwork.Run("/usr/sbin/debugfs", ["-R", $"cat {path}", string.Create(CultureInfo.InvariantCulture, $"{volume}?offset={MiB}")], TimeSpan.FromSeconds(30)).Stdout);

    private static async Task<string> DiskIdAsync(string volume)
    {
        await Task.Yield();
        var json = TestNetwork.Run("/usr/sbin/sfdisk", ["--json", volume], TimeSpan.FromSeconds(30)).Stdout;
        return JsonDocument.Parse(json).RootElement.GetProperty("partitiontable").GetProperty("id").GetString()!;
    }
}
