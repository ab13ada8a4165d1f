using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using BladeProvisioner.Testing;
using Npgsql;

namespace BladeProvisioner.Appliance.Tests.DataPlane;

/// <summary>
/// "Running blades survive the appliance": PostgreSQL restarts in the middle of a clone. The appliance has its own
/// cluster here (the shared test cluster must not restart under other tests), stopped with <c>pg_ctl -m fast</c>, as a
/// package upgrade or an operator's restart does, and started again after a pause. The clone finishes exactly once (one
/// success, no two executions at once), the volume is the donor's bytes after its personalised first sector, it is
/// exported once, and a blade already running from its LUN writes through the whole outage without a failed write.
/// </summary>
public sealed class DatabaseRestartTests(ITestOutputHelper output)
{
    private const long DonorBytes = 128L << 20;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task APostgresRestartMidCloneFinishesTheCloneOnceAndARunningBladeNeverNotices()
    {
        Prerequisites.RequireProgram("/usr/sbin/sfdisk");
        Prerequisites.RequireProgram("/usr/sbin/tgtadm");
        Prerequisites.RequireProgram("/usr/lib/x86_64-linux-gnu/libiscsi.so.7");
        var ct = TestContext.Current.CancellationToken;
        await using var postgres = new PostgresServer();
        await postgres.InitializeAsync();
        var cs = await postgres.CreateEmptyDatabaseAsync("pgrestart");
        using var dir = new TempDirectory("bp-pgrestart");
        await using var appliance = new ApplianceProcess(
            dir.Path, cs, "--Appliance:NodeName", "node-pgrestart", "--Boot:RequireDhcpTicket", "false",
            "--Storage:Clone:DefaultBytesPerSecondLimit", (12L << 20).ToString(CultureInfo.InvariantCulture));
        await appliance.StartAsync();
        var donor = TestDonors.Write(dir.Sub("incoming"), DonorBytes);
        var imageId = await TestDonors.ImportAsync(appliance, donor);

        // A blade that already runs from its LUN.
        var (running, writer) = await RunningBlade.ProvisionAndWriteAsync(appliance, imageId, "52:54:00:d9:02:01", reconnect: false);
        using var blade = writer;

        // The clone that the restart interrupts (throttled, so it is mid-copy when the database goes).
        using var created = await appliance.Http.PostAsJsonAsync("api/blades", new { bootMac = "52:54:00:d9:02:02" }, JsonDefaults.Options, ct);
        var second = (await created.Content.ReadFromJsonAsync<BladeDto>(JsonDefaults.Options, ct))!;
        using var provision = await appliance.Http.PostAsJsonAsync($"api/blades/{second.Id}/provision", new { imageId }, JsonDefaults.Options, ct);
        Assert.True(provision.StatusCode == HttpStatusCode.Accepted, await provision.Content.ReadAsStringAsync(ct));
        var volume = (await appliance.GetAsync<List<VolumeDto>>($"api/volumes?bladeId={second.Id}")).Single();
        var jobId = (await appliance.GetAsync<List<JobDto>>($"api/jobs?bladeId={second.Id}")).Single(j => j.Kind == "volume.clone").Id;
        await TestJobs.WaitAsync(appliance, jobId, j => j.ProgressDone >= DonorBytes / 4 && j.State == "Running", TimeSpan.FromSeconds(180));

        await postgres.Cluster.StopAsync(ct);
        var writesBefore = writer.Writes;
        await Task.Delay(Outage, ct);
        await writer.WaitForMoreWritesAsync(5, TimeSpan.FromSeconds(10));
        Assert.True(appliance.Pid is not null, "the appliance exited while its database was down:\n" + appliance.Log());
        NpgsqlConnection.ClearAllPools(); // this process's idle connections to the old server are dead
        await postgres.Cluster.StartAsync(ct);

        var done = await TestJobs.WaitAsync(appliance, jobId, j => j.State is "Succeeded" or "Failed" or "Cancelled", TimeSpan.FromSeconds(240));
        Assert.True(done.State == "Succeeded", $"clone ended {done.State}: {done.Error}\n{appliance.Log()}");
        var events = await appliance.GetAsync<List<EventDto>>($"api/events?jobId={jobId}&limit=200");
        Assert.Single(events, e => e.Kind == "job.succeeded");
        Assert.DoesNotContain(events, e => e.Kind is "job.failed" or "job.cancelled");

        // Once: one target made for the volume, exported, the blade provisioned, the donor's bytes after the table.
        var after = await appliance.GetAsync<VolumeDto>($"api/volumes/{volume.Id}");
        Assert.Equal("Exported", after.State);
        Assert.Equal("Provisioned", (await appliance.GetAsync<BladeDto>($"api/blades/{second.Id}")).State);
        Assert.Single(Regex.Matches(appliance.Log(), $"Target {Regex.Escape(volume.TargetIqn)} created"));
        Assert.Equal(TestDonors.HashFrom(donor, 512, DonorBytes), TestDonors.HashFrom(after.BackingPath, 512, DonorBytes));

        // The running blade saw nothing: no failed write, every block on its disk.
        var lost = writer.StopAndVerify(running.BackingPath);
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"DATAPLANE postgres restart: clone attempts {done.Attempts}; blade writes {writer.Writes} ({writer.Writes - writesBefore} from the stop on), longest {writer.LongestMs:F0} ms"));
        Assert.Empty(writer.Failures);
        Assert.Empty(lost);
        Assert.True(writer.LongestMs < 10_000, $"longest write {writer.LongestMs:F0} ms");
    }
}
