using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using BladeProvisioner.Appliance.Tests.DataPlane;
using BladeProvisioner.Storage.Capacity;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests.Capacity;

/// <summary>
/// "Running blades survive the appliance", finding 3: a full disk must not cascade. The volumes, the image store, the
/// uploads and (standing in for the embedded cluster's directory) the database all live on one 320 MiB loop-mounted
/// XFS. A provisioned blade's initiator writes to its volume; then the filesystem is filled into its reserve. A new
/// clone, an import by path and an upload are each refused with 507 INSUFFICIENT_STORAGE and leave nothing behind (no
/// volume file, no row, no job, no upload file), the running blade's writes all succeed, /health/ready stays 200 and
/// says "degraded" naming the filesystem, and /metrics shows it low. Once space is freed, the same clone is admitted.
/// </summary>
public sealed partial class DiskFullTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const string RunningMac = "52:54:00:d9:03:01";
    private const string NewMac = "52:54:00:d9:03:02";
    private const long MiB = 1L << 20;

    // The floor on the shared filesystem is the sum of the four reserves: 80 MiB.
    private const long Floor = (48 + 8 + 8 + 16) * MiB;

    [GeneratedRegex(@"^set (?<name>[a-z-]+) (?<value>\S+)$", RegexOptions.Multiline)]
    private static partial Regex SetLine();

    [Fact]
    public async Task PastTheReserveCloneImportAndUploadAreRefusedWithNothingMadeWhileARunningBladeKeepsWriting()
    {
        Prerequisites.RequireRoot("loop-mounting a small filesystem");
        Prerequisites.RequireProgram("/usr/sbin/mkfs.xfs");
        Prerequisites.RequireProgram("/usr/bin/fallocate");
        Prerequisites.RequireProgram("/usr/sbin/sfdisk");
        Prerequisites.RequireProgram("/usr/lib/x86_64-linux-gnu/libiscsi.so.7");
        var ct = TestContext.Current.CancellationToken;
        await using var fs = LoopFilesystem.Create(320 * MiB);
        var volumes = fs.Sub("volumes");
        var images = fs.Sub("images");
        var incoming = fs.Sub("incoming");
        var cs = await postgres.CreateEmptyDatabaseAsync("diskfull");
        await using var factory = new ApplianceFactory(cs, new Dictionary<string, string>
        {
            ["Storage:Volumes:Directory"] = volumes,
            ["Storage:Images:Directory"] = images,
            ["Storage:Images:ImportRoots:0"] = incoming,
            ["Storage:Capacity:DatabaseDirectory"] = fs.Sub("database"),
            ["Storage:Capacity:Volumes:Bytes"] = (48 * MiB).ToString(CultureInfo.InvariantCulture),
            ["Storage:Capacity:Volumes:Percent"] = "0",
            ["Storage:Capacity:Images:Bytes"] = (8 * MiB).ToString(CultureInfo.InvariantCulture),
            ["Storage:Capacity:Uploads:Bytes"] = (8 * MiB).ToString(CultureInfo.InvariantCulture),
            ["Storage:Capacity:Database:Bytes"] = (16 * MiB).ToString(CultureInfo.InvariantCulture),
            ["Targets:StopTgtdOnShutdown"] = "true",
        });
        factory.UseKestrel(ApplianceProcess.FreeTcpPort());
        factory.StartServer();
        await factory.Services.WaitReadyAsync(ct);
        using var api = factory.CreateClient();
        using var ipxe = factory.CreateClient();

        // A donor in the store and a blade running from its clone, writing every 100 ms.
        var imageId = await ImportAsync(api, factory, "diskfull", WriteDonor(incoming, "donor.raw", dataMiB: 7), ct);
        var running = await RegisterAsync(api, RunningMac, ct);
        using (var provision = await api.PostAsJsonAsync($"/api/blades/{running}/provision", new { imageId }, ct))
        {
            Assert.True(provision.StatusCode == HttpStatusCode.Accepted, await provision.Content.ReadAsStringAsync(ct));
        }

        await WaitStateAsync(api, running, "Provisioned", ct);
        var volume = (await api.GetFromJsonAsync<List<VolumeDto>>($"/api/volumes?bladeId={running}", JsonDefaults.Options, ct))!.Single();
        var sanboot = await ipxe.GetStringAsync(await TestBoot.IdentifyPathAsync(factory.Services, RunningMac, "platform=pcbios&buildarch=i386"), ct);
        var set = SetLine().Matches(sanboot).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value, StringComparer.Ordinal);
        using var writer = BladeWriter.Start(
            $"127.0.0.1:{factory.PortalPort}", volume.TargetIqn, set["initiator-iqn"], set["username"], set["password"], set["reverse-username"], set["reverse-password"],
            TimeSpan.FromMilliseconds(100));
        await writer.WaitForMoreWritesAsync(5, TimeSpan.FromSeconds(60));

        // What new work would use: a second donor to import, a second blade to provision.
        var second = WriteDonor(incoming, "second.raw", dataMiB: 3);
        var waiting = await RegisterAsync(api, NewMac, ct);

        // Something else fills the filesystem until it is 8 MiB inside its reserve.
        var free = FilesystemSpace.Measure(volumes).FreeBytes;
        var filler = Path.Combine(fs.MountPoint, "filler");
        var fill = TestNetwork.Run("/usr/bin/fallocate", ["-l", (free - Floor + (8 * MiB)).ToString(CultureInfo.InvariantCulture), filler], TimeSpan.FromSeconds(60));
        Assert.True(fill.ExitCode == 0, fill.Stderr);
        output.WriteLine($"DISKFULL free before the filler {free / MiB} MiB, after {FilesystemSpace.Measure(volumes).FreeBytes / MiB} MiB, floor {Floor / MiB} MiB");

        var volumeFiles = Files(volumes);
        var imageFiles = Files(images);
        var jobs = await CountAsync(api, "/api/jobs", ct);
        var imageRows = await CountAsync(api, "/api/images", ct);

        // A clone: refused, and the blade is as it was, with no volume row, no job and no volume file.
        using (var refused = await api.PostAsJsonAsync($"/api/blades/{waiting}/provision", new { imageId }, ct))
        {
            await AssertInsufficientStorageAsync(refused, "volumes", ct);
        }

        Assert.Equal("Discovered", (await api.GetFromJsonAsync<BladeDto>($"/api/blades/{waiting}", JsonDefaults.Options, ct))!.State);
        Assert.Empty((await api.GetFromJsonAsync<List<VolumeDto>>($"/api/volumes?bladeId={waiting}", JsonDefaults.Options, ct))!);

        // An import by path: refused, no image version, no job, nothing in the store.
        using (var refused = await api.PostAsJsonAsync("/api/images/import", new { name = "second", operatingSystem = "Test", bootMode = "Both", path = second }, ct))
        {
            await AssertInsufficientStorageAsync(refused, "images", ct);
        }

        // An upload: refused before a byte lands.
        using (var refused = await api.PostAsJsonAsync("/api/uploads", new { name = "uploaded", operatingSystem = "Test", bootMode = "Both", length = 16 * MiB }, ct))
        {
            await AssertInsufficientStorageAsync(refused, "uploads", ct);
        }

        Assert.Equal(volumeFiles, Files(volumes));
        Assert.Equal(imageFiles, Files(images));
        Assert.DoesNotContain(Files(incoming), f => f.Contains(".uploads", StringComparison.Ordinal));
        Assert.Equal(jobs, await CountAsync(api, "/api/jobs", ct));
        Assert.Equal(imageRows, await CountAsync(api, "/api/images", ct));

        // The appliance still answers and says what is low; the running blade's writes go on into the reserve.
        using (var ready = await api.GetAsync("/health/ready", ct))
        {
            var body = await ready.Content.ReadAsStringAsync(ct);
            Assert.True(ready.StatusCode == HttpStatusCode.OK, body);
            using var json = JsonDocument.Parse(body);
            Assert.Equal("degraded", json.RootElement.GetProperty("status").GetString());
            var capacity = json.RootElement.GetProperty("capacity");
            Assert.Equal("low", capacity.GetProperty("status").GetString());
            Assert.Contains("volumes+images+uploads+database", capacity.GetProperty("low")[0].GetString(), StringComparison.Ordinal);
        }

        // Every in-process appliance of this test run publishes the same instruments, and a meter listener sees all meters
        // of the process: the series of this appliance are the ones naming its directories.
        var metrics = await api.GetStringAsync("/metrics", ct);
        Assert.Matches(Series("bp_storage_low", "volumes", volumes, "1"), metrics);
        Assert.Matches(Series("bp_storage_reserve_bytes", "database", fs.Sub("database"), "16777216"), metrics);
        await writer.WaitForMoreWritesAsync(30, TimeSpan.FromSeconds(120));
        Assert.Empty(writer.Failures);

        // Space freed: the same clone is admitted and completes.
        File.Delete(filler);
        await Eventually.UntilAsync(
            async () =>
            {
                using var provision = await api.PostAsJsonAsync($"/api/blades/{waiting}/provision", new { imageId }, ct);
                return provision.StatusCode;
            },
            s => s == HttpStatusCode.Accepted,
            TimeSpan.FromSeconds(60));
        await WaitStateAsync(api, waiting, "Provisioned", ct);
        await writer.WaitForMoreWritesAsync(5, TimeSpan.FromSeconds(60));
        Assert.Empty(writer.Failures);
        output.WriteLine($"DISKFULL blade writes {writer.Writes}, longest {writer.LongestMs:F0} ms, none failed");
    }

    private static async Task AssertInsufficientStorageAsync(HttpResponseMessage response, string role, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode == HttpStatusCode.InsufficientStorage, $"{(int)response.StatusCode}: {body}");
        var problem = JsonSerializer.Deserialize<ProblemDto>(body, JsonDefaults.Options)!;
        Assert.Equal("INSUFFICIENT_STORAGE", problem.Code);
        Assert.Contains(role, problem.Detail, StringComparison.Ordinal);
        Assert.Contains("nothing was created", problem.Detail, StringComparison.Ordinal);
    }

    private static Regex Series(string name, string role, string directory, string value) =>
        new($@"^{name}\{{(?=[^}}]*role=""{role}"")(?=[^}}]*directory=""{Regex.Escape(directory)}"")[^}}]*\}} {value}\b", RegexOptions.Multiline);

    private static List<string> Files(string directory) =>
        [.. Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    private static async Task<int> CountAsync(HttpClient api, string path, CancellationToken ct) =>
        (await api.GetFromJsonAsync<List<JsonElement>>(path, JsonDefaults.Options, ct))!.Count;

    private static async Task<long> RegisterAsync(HttpClient api, string mac, CancellationToken ct)
    {
        using var created = await api.PostAsJsonAsync("/api/blades", new { bootMac = mac }, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<BladeDto>(JsonDefaults.Options, ct))!.Id;
    }

    private static async Task WaitStateAsync(HttpClient api, long bladeId, string state, CancellationToken ct)
    {
        var blade = await Eventually.UntilAsync(
            async () => (await api.GetFromJsonAsync<BladeDto>($"/api/blades/{bladeId}", JsonDefaults.Options, ct))!,
            b => b.State == state || b.State == "Failed",
            TimeSpan.FromSeconds(180));
        Assert.Equal(state, blade.State);
    }

    private static async Task<long> ImportAsync(HttpClient api, ApplianceFactory factory, string name, string path, CancellationToken ct)
    {
        using var response = await api.PostAsJsonAsync("/api/images/import", new { name, operatingSystem = "Test", bootMode = "Both", path }, ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync(ct) + "\n" + factory.Log.Read());
        var started = (await response.Content.ReadFromJsonAsync<ImportStartedDto>(JsonDefaults.Options, ct))!;
        var image = await Eventually.UntilAsync(
            async () => (await api.GetFromJsonAsync<ImageDto>($"/api/images/{started.Image.Id}", JsonDefaults.Options, ct))!,
            i => i.State is "Active" or "Failed",
            TimeSpan.FromSeconds(180));
        Assert.Equal("Active", image.State);
        return image.Id;
    }

    /// <summary>A raw donor: 1 MiB with an MBR, then <paramref name="dataMiB"/> MiB of random data (what a clone must allocate).</summary>
    private static string WriteDonor(string directory, string name, int dataMiB)
    {
        var path = Path.Combine(directory, name);
        using (var f = File.Create(path))
        {
            var buffer = new byte[MiB];
            f.Write(new byte[MiB]);
            for (var i = 0; i < dataMiB; i++)
            {
                RandomNumberGenerator.Fill(buffer);
                f.Write(buffer);
            }
        }

        var sfdisk = TestNetwork.Run("sh", ["-c", $"printf 'label: dos\\n,,L,*\\n' | sfdisk -q {path}"], TimeSpan.FromSeconds(30));
        Assert.True(sfdisk.ExitCode == 0, sfdisk.Stderr);
        return path;
    }
}
