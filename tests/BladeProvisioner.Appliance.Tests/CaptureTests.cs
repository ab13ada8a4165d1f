using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>Capture: a provisioned blade's boot volume becomes the next version of a donor image, through a durable job.</summary>
public sealed class CaptureTests(PostgresServer postgres)
{
    [Fact]
    public async Task ProvisionedBladesVolumeBecomesANewActiveImageVersionWithItsHash()
    {
        Prerequisites.RequireProgram("/usr/sbin/sfdisk");
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApplianceFactory(await postgres.CreateEmptyDatabaseAsync("capture"));
        using var api = factory.CreateClient();

        var donor = Path.Combine(factory.Incoming, "golden.raw");
        await using (var f = File.Create(donor))
        {
            f.SetLength(8 << 20);
        }

        var sfdisk = TestNetwork.Run("sh", ["-c", $"printf 'label: dos\\n,,L,*\\n' | sfdisk -q {donor}"], TimeSpan.FromSeconds(30));
        Assert.True(sfdisk.ExitCode == 0, sfdisk.Stderr);
        var imported = await PostAsync<ImportStartedDto>(api, "/api/images/import", new { name = "golden", operatingSystem = "Test", bootMode = "Both", path = donor }, ct);
        await WaitAsync(api, imported.Job.Id, ct);

        var blade = await PostAsync<BladeDto>(api, "/api/blades", new { bootMac = "52:54:00:ca:00:01" }, ct, HttpStatusCode.Created);
        using (var provision = await api.PostAsJsonAsync($"/api/blades/{blade.Id}/provision", new { imageId = imported.Image.Id }, ct))
        {
            Assert.True(provision.StatusCode == HttpStatusCode.Accepted, await provision.Content.ReadAsStringAsync(ct));
        }

        var cloneJob = (await api.GetFromJsonAsync<List<JobDto>>($"/api/jobs?bladeId={blade.Id}", JsonDefaults.Options, ct))!.Single(j => j.Kind == "volume.clone");
        await WaitAsync(api, cloneJob.Id, ct);
        var volume = (await api.GetFromJsonAsync<List<VolumeDto>>($"/api/volumes?bladeId={blade.Id}", JsonDefaults.Options, ct))!.Single();
        Assert.Equal("Exported", volume.State);
        string volumeSha;
        await using (var v = File.OpenRead(volume.BackingPath))
        {
            volumeSha = Convert.ToHexStringLower(await SHA256.HashDataAsync(v, ct));
        }

        var captured = await PostAsync<ImportStartedDto>(api, $"/api/blades/{blade.Id}/capture", new { name = "golden", operatingSystem = "Test, captured", bootMode = "Both" }, ct);
        Assert.Equal(2, captured.Image.Version);
        await WaitAsync(api, captured.Job.Id, ct);
        var image = await api.GetFromJsonAsync<ImageDto>($"/api/images/{captured.Image.Id}", JsonDefaults.Options, ct);
        Assert.Equal("Active", image!.State);
        Assert.Equal(volumeSha, image.Sha256);
        var events = (await api.GetFromJsonAsync<List<EventDto>>($"/api/events?bladeId={blade.Id}&limit=500", JsonDefaults.Options, ct))!;
        Assert.Contains(events, e => e.Kind == "image.capture-started");

        // A blade without a volume has nothing to capture.
        var bare = await PostAsync<BladeDto>(api, "/api/blades", new { bootMac = "52:54:00:ca:00:02" }, ct, HttpStatusCode.Created);
        using var refused = await api.PostAsJsonAsync($"/api/blades/{bare.Id}/capture", new { name = "golden", operatingSystem = "x", bootMode = "Both" }, ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
    }

    private static async Task<T> PostAsync<T>(HttpClient api, string path, object body, CancellationToken ct, HttpStatusCode expected = HttpStatusCode.Accepted)
    {
        using var response = await api.PostAsJsonAsync(path, body, ct);
        Assert.True(response.StatusCode == expected, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        return (await response.Content.ReadFromJsonAsync<T>(JsonDefaults.Options, ct))!;
    }

    private static async Task WaitAsync(HttpClient api, long jobId, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(180);
        JobDto? job;
        do
        {
            await Task.Delay(100, ct);
            job = await api.GetFromJsonAsync<JobDto>($"/api/jobs/{jobId}", JsonDefaults.Options, ct);
        }
        while (job!.State is "Queued" or "Running" && DateTime.UtcNow < deadline);
        Assert.True(job.State == "Succeeded", $"job {jobId} {job.State}: {job.Error}");
    }
}
