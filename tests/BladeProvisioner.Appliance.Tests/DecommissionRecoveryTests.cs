using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>
/// A decommission that cannot finish fails, says so on the blade, removes nothing it should not, and is finished by an
/// operator's retry. With a tgtd the test runs itself (Targets:ManageTgtd=false), so a killed tgtd stays down until the
/// test starts it again: readiness closes naming tgtd, boot requests are answered "retry", and both reopen after.
/// </summary>
public sealed class DecommissionRecoveryTests(PostgresServer postgres)
{
    private static readonly Dictionary<string, string> FastReadiness = new()
    {
        ["Targets:ManageTgtd"] = "false",
        ["Readiness:ProbeInterval"] = "00:00:00.500",
        ["Readiness:FailureThreshold"] = "2",
    };

    [Fact]
    public async Task DecommissionWhoseTgtdIsDownFailsIsRetriedByAnOperatorAndFinishes()
    {
        Prerequisites.RequireProgram("/usr/sbin/sfdisk");
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApplianceFactory(await postgres.CreateEmptyDatabaseAsync("decomretry"), FastReadiness);
        using var tgtd = new OwnTgtd(factory.TgtControlPort, factory.PortalPort);
        tgtd.Start();
        using var api = factory.CreateClient();
        await factory.Services.WaitReadyAsync(ct);
        var (blade, volume) = await ProvisionAsync(api, factory, "52:54:00:de:00:01", ct);

        // tgtd dies and stays down: readiness closes and names it; a blade asking for its boot script is told to retry.
        tgtd.Kill();
        var down = await Eventually.UntilAsync(() => ReadyAsync(api, ct), r => r.Status == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(60));
        Assert.True(down.Status == HttpStatusCode.ServiceUnavailable, $"readiness stayed open with tgtd dead: {down.Body}");
        Assert.Contains("\"tgtd\"", down.Body, StringComparison.Ordinal);
        using (var boot = await api.GetAsync("/boot/ipxe", ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, boot.StatusCode);
            Assert.NotNull(boot.Headers.RetryAfter);
            Assert.Contains("tgtd", await boot.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }

        // The decommission fails; the blade says so and keeps its volume row (nothing half-removed is forgotten).
        var job = await PostAsync<JobDto>(api, $"/api/blades/{blade.Id}/decommission", ct);
        var failed = await WaitJobAsync(api, job.Id, j => j.State is "Failed" or "Succeeded", ct);
        Assert.True(failed.State == "Failed", $"the decommission did not fail with tgtd down: {failed.State}\n{factory.Log.Read()}");
        var afterFailure = await api.GetFromJsonAsync<BladeDto>($"/api/blades/{blade.Id}", JsonDefaults.Options, ct);
        Assert.Equal("Failed", afterFailure!.State);
        Assert.Single((await api.GetFromJsonAsync<List<VolumeDto>>($"/api/volumes?bladeId={blade.Id}", JsonDefaults.Options, ct))!);
        var events = (await api.GetFromJsonAsync<List<EventDto>>($"/api/events?bladeId={blade.Id}&limit=500", JsonDefaults.Options, ct))!;
        Assert.Contains(events, e => e.Kind == "blade.state" && e.Summary.Contains("retry", StringComparison.Ordinal));

        // tgtd is back: readiness reopens, and the operator's retry finishes the job.
        tgtd.Start();
        var up = await Eventually.UntilAsync(() => ReadyAsync(api, ct), r => r.Status == HttpStatusCode.OK, TimeSpan.FromSeconds(90));
        Assert.True(up.Status == HttpStatusCode.OK, $"readiness did not reopen after tgtd came back: {up.Body}");
        await PostAsync<JobDto>(api, $"/api/jobs/{job.Id}/retry", ct, HttpStatusCode.OK);
        var done = await WaitJobAsync(api, job.Id, j => j.State is "Failed" or "Succeeded", ct);
        Assert.True(done.State == "Succeeded", $"the retried decommission did not finish: {done.State} {done.Error}\n{factory.Log.Read()}");
        var finished = await api.GetFromJsonAsync<BladeDto>($"/api/blades/{blade.Id}", JsonDefaults.Options, ct);
        Assert.Equal("Discovered", finished!.State);
        Assert.Empty((await api.GetFromJsonAsync<List<VolumeDto>>($"/api/volumes?bladeId={blade.Id}", JsonDefaults.Options, ct))!);
        Assert.False(File.Exists(volume.BackingPath));
        Assert.DoesNotContain(volume.TargetIqn, tgtd.ShowTargets(), StringComparison.Ordinal);
        events = (await api.GetFromJsonAsync<List<EventDto>>($"/api/events?limit=500", JsonDefaults.Options, ct))!;
        Assert.Contains(events, e => e.Kind == "appliance.not-ready");
        Assert.Contains(events, e => e.Kind == "appliance.ready");
    }

    [Fact]
    public async Task DecommissionWithAnUnreachableBmcRemovesNothingAndTheOperatorCanFinishItWithoutPowerOff()
    {
        Prerequisites.RequireProgram("/usr/sbin/sfdisk");
        Prerequisites.RequireProgram("/usr/bin/ipmitool");
        var ct = TestContext.Current.CancellationToken;
        var settings = new Dictionary<string, string>(FastReadiness)
        {
            ["Targets:ManageTgtd"] = "true",
            ["Power:IpmiRetries"] = "1",
            ["Power:IpmiTimeout"] = "00:00:10",
        };
        await using var factory = new ApplianceFactory(await postgres.CreateEmptyDatabaseAsync("decompower"), settings);
        using var api = factory.CreateClient();
        await factory.Services.WaitReadyAsync(ct);
        var (blade, volume) = await ProvisionAsync(api, factory, "52:54:00:de:00:02", ct);

        // A BMC that does not answer (nothing listens on the port): the blade may be running, so nothing is removed.
        var silent = ApplianceProcess.FreeTcpPort();
        using (var patch = await api.PatchAsJsonAsync($"/api/blades/{blade.Id}", new { powerDriver = "Ipmi", bmcAddress = $"127.0.0.1:{silent}", bmcUsername = "admin", bmcPassword = "not-used-1" }, ct))
        {
            Assert.True(patch.IsSuccessStatusCode, await patch.Content.ReadAsStringAsync(ct));
        }

        var job = await PostAsync<JobDto>(api, $"/api/blades/{blade.Id}/decommission", ct);
        var failed = await WaitJobAsync(api, job.Id, j => j.State is "Failed" or "Succeeded", ct);
        Assert.Equal("Failed", failed.State);
        Assert.Equal("POWER_OFF_FAILED", failed.ErrorCode);
        Assert.Contains("nothing was removed", failed.Error, StringComparison.Ordinal);
        Assert.Equal("Failed", (await api.GetFromJsonAsync<BladeDto>($"/api/blades/{blade.Id}", JsonDefaults.Options, ct))!.State);
        var kept = (await api.GetFromJsonAsync<List<VolumeDto>>($"/api/volumes?bladeId={blade.Id}", JsonDefaults.Options, ct))!.Single();
        Assert.Equal("Exported", kept.State);
        Assert.True(File.Exists(volume.BackingPath));
        var show = TestNetwork.Run("tgtadm", ["-C", factory.TgtControlPort.ToString(CultureInfo.InvariantCulture), "--lld", "iscsi", "--op", "show", "--mode", "target"], TimeSpan.FromSeconds(30));
        Assert.Contains(volume.TargetIqn, show.Stdout, StringComparison.Ordinal);

        // The way out: the operator takes the BMC off the blade (accepting that it is not powered off) and decommissions again.
        using (var patch = await api.PatchAsJsonAsync($"/api/blades/{blade.Id}", new { powerDriver = "InBand" }, ct))
        {
            Assert.True(patch.IsSuccessStatusCode, await patch.Content.ReadAsStringAsync(ct));
        }

        var again = await PostAsync<JobDto>(api, $"/api/blades/{blade.Id}/decommission", ct);
        var done = await WaitJobAsync(api, again.Id, j => j.State is "Failed" or "Succeeded", ct);
        Assert.True(done.State == "Succeeded", $"{done.State} {done.Error}");
        Assert.Equal("Discovered", (await api.GetFromJsonAsync<BladeDto>($"/api/blades/{blade.Id}", JsonDefaults.Options, ct))!.State);
        Assert.False(File.Exists(volume.BackingPath));
        var events = (await api.GetFromJsonAsync<List<EventDto>>($"/api/events?bladeId={blade.Id}&limit=500", JsonDefaults.Options, ct))!;
        Assert.Contains(events, e => e.Kind == "blade.power-off-failed");
    }

    private static async Task<(BladeDto Blade, VolumeDto Volume)> ProvisionAsync(HttpClient api, ApplianceFactory factory, string mac, CancellationToken ct)
    {
        var image = await TestImages.ImportAsync(api, factory, "decom-" + mac[^2..], "Both", ct);
        var blade = await PostAsync<BladeDto>(api, "/api/blades", ct, HttpStatusCode.Created, new { bootMac = mac });
        await PostAsync<JsonElementDto>(api, $"/api/blades/{blade.Id}/provision", ct, HttpStatusCode.Accepted, new { imageId = image });
        var clone = (await api.GetFromJsonAsync<List<JobDto>>($"/api/jobs?bladeId={blade.Id}", JsonDefaults.Options, ct))!.Single(j => j.Kind == "volume.clone");
        var cloned = await WaitJobAsync(api, clone.Id, j => j.State is "Failed" or "Succeeded" or "Cancelled", ct);
        Assert.True(cloned.State == "Succeeded", $"{cloned.State} {cloned.Error}\n{factory.Log.Read()}");
        var volume = (await api.GetFromJsonAsync<List<VolumeDto>>($"/api/volumes?bladeId={blade.Id}", JsonDefaults.Options, ct))!.Single();
        Assert.Equal("Exported", volume.State);
        return (blade, volume);
    }

    private static async Task<(HttpStatusCode Status, string Body)> ReadyAsync(HttpClient api, CancellationToken ct)
    {
        using var response = await api.GetAsync("/health/ready", ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    private static async Task<T> PostAsync<T>(HttpClient api, string path, CancellationToken ct, HttpStatusCode expected = HttpStatusCode.Accepted, object? body = null)
    {
        using var response = body is null ? await api.PostAsync(path, null, ct) : await api.PostAsJsonAsync(path, body, ct);
        Assert.True(response.StatusCode == expected, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        return (await response.Content.ReadFromJsonAsync<T>(JsonDefaults.Options, ct))!;
    }

    private static async Task<JobDto> WaitJobAsync(HttpClient api, long id, Func<JobDto, bool> done, CancellationToken ct) =>
        await Eventually.UntilAsync(async () => (await api.GetFromJsonAsync<JobDto>($"/api/jobs/{id}", JsonDefaults.Options, ct))!, done, TimeSpan.FromSeconds(180));

    private sealed record JsonElementDto;

    /// <summary>A tgtd this test starts and kills (by its pid) itself, on the appliance's control and portal ports.</summary>
    private sealed class OwnTgtd(int controlPort, int portalPort) : IDisposable
    {
        private readonly string _pidFile = $"/run/tgtd/bp-test.{controlPort}.pid";
        private string Port => controlPort.ToString(CultureInfo.InvariantCulture);

        public void Start()
        {
            Directory.CreateDirectory("/run/tgtd");
            // The control port stays last: the harness finds a test's tgtd by it.
            var started = TestNetwork.Run("tgtd", ["--pid-file", _pidFile, "--iscsi", $"portal=127.0.0.1:{portalPort}", "--control-port", Port], TimeSpan.FromSeconds(30));
            Assert.True(started.ExitCode == 0, started.Stderr);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (TestNetwork.Run("tgtadm", ["-C", Port, "--op", "show", "--mode", "sys"], TimeSpan.FromSeconds(10)).ExitCode != 0 && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100);
            }
        }

        public string ShowTargets() =>
            TestNetwork.Run("tgtadm", ["-C", Port, "--lld", "iscsi", "--op", "show", "--mode", "target"], TimeSpan.FromSeconds(30)).Stdout;

        public void Kill()
        {
            if (!File.Exists(_pidFile) || !int.TryParse(File.ReadAllText(_pidFile).Trim(), out var pid))
            {
                return;
            }

            TestNetwork.Run("kill", ["-9", pid.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));
            for (int i = 0; i < 100 && Directory.Exists($"/proc/{pid}"); i++)
            {
                Thread.Sleep(50);
            }

            foreach (var file in new[] { _pidFile, $"/var/run/tgtd/socket.{Port}", $"/var/run/tgtd/socket.{Port}.lock" })
            {
                File.Delete(file);
            }
        }

        public void Dispose() => Kill();
    }
}
