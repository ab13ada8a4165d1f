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
    private const long DonorBytes = 192L << 20;

    /// <summary>About 24 s of copying: the database stops early in it and is back long before it ends, however slow the machine.</summary>
    private const long CloneBytesPerSecond = 8L << 20;
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
            "--Storage:Clone:DefaultBytesPerSecondLimit", CloneBytesPerSecond.ToString(CultureInfo.InvariantCulture));
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
        await TestJobs.WaitAsync(appliance, jobId, j => j.ProgressDone >= DonorBytes / 8 && j.State == "Running", TimeSpan.FromSeconds(180));

        await postgres.Cluster.StopAsync(ct);
        var writesBefore = writer.Writes;
        await Task.Delay(Outage, ct);
        await writer.WaitForMoreWritesAsync(5, TimeSpan.FromSeconds(10));
        Assert.True(appliance.Pid is not null, "the appliance exited while its database was down:\n" + appliance.Log());
        NpgsqlConnection.ClearAllPools(); // this process's idle connections to the old server are dead
        await postgres.Cluster.StartAsync(ct);

        var done = await TestJobs.WaitAsync(appliance, jobId, j => j.State is "Succeeded" or "Failed" or "Cancelled", TimeSpan.FromSeconds(240));
        Assert.True(done.State == "Succeeded", $"clone ended {done.State}: {done.Error}\n{appliance.Log()}");
        // The timeline is written behind the job's own row: wait for the job's last event before counting.
        var events = await Eventually.UntilAsync(
            () => appliance.GetAsync<List<EventDto>>($"api/events?jobId={jobId}&limit=200"),
            es => es.Any(e => e.Kind == "job.succeeded"),
            TimeSpan.FromSeconds(60));
        Assert.Single(events, e => e.Kind == "job.succeeded");
        Assert.DoesNotContain(events, e => e.Kind is "job.failed" or "job.cancelled");

        // Once: one target made for the volume, exported, the blade provisioned, the donor's bytes after the table.
        var after = await appliance.GetAsync<VolumeDto>($"api/volumes/{volume.Id}");
        Assert.Equal("Exported", after.State);
        Assert.Equal("Provisioned", (await appliance.GetAsync<BladeDto>($"api/blades/{second.Id}")).State);
        Assert.Single(Regex.Matches(appliance.FullLog(), $"Target {Regex.Escape(volume.TargetIqn)} created"));
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

    /// <summary>
    /// Two nodes on one database, PostgreSQL restarted mid-clone: both lose their connections at once, and both may try
    /// to run the job again when it returns. Fencing allows one execution at a time: from both nodes' logs, each
    /// execution of the job starts only after the one before it stopped (fenced, or finished), and the job succeeds once
    /// with the donor's bytes.
    /// </summary>
    [Fact]
    public async Task TwoNodesThroughAPostgresRestartMidCloneNeverRunTheCloneTwiceAtOnce()
    {
        Prerequisites.RequireProgram("/usr/sbin/sfdisk");
        Prerequisites.RequireProgram("/usr/sbin/tgtadm");
        var ct = TestContext.Current.CancellationToken;
        await using var postgres = new PostgresServer();
        await postgres.InitializeAsync();
        var cs = await postgres.CreateEmptyDatabaseAsync("pgfence");
        using var dirA = new TempDirectory("bp-pgfence-a");
        using var dirB = new TempDirectory("bp-pgfence-b");
        var keys = Directory.CreateDirectory(Path.Combine(dirA.Path, "shared-keys")).FullName;
        string[] Args(string node) =>
        [
            "--Appliance:NodeName", node, "--DataProtection:KeyDirectory", keys, "--Storage:Images:ImportRoots:0", dirA.Path,
            "--Storage:Clone:DefaultBytesPerSecondLimit", CloneBytesPerSecond.ToString(CultureInfo.InvariantCulture),
        ];
        await using var a = new ApplianceProcess(dirA.Path, cs, Args("node-a"));
        await using var b = new ApplianceProcess(dirB.Path, cs, Args("node-b"));
        await Task.WhenAll(a.StartAsync(), b.StartAsync());
        var donor = TestDonors.Write(dirA.Sub("incoming"), DonorBytes);
        var imageId = await TestDonors.ImportAsync(a, donor);

        using var created = await a.Http.PostAsJsonAsync("api/blades", new { bootMac = "52:54:00:d9:03:01" }, JsonDefaults.Options, ct);
        var blade = (await created.Content.ReadFromJsonAsync<BladeDto>(JsonDefaults.Options, ct))!;
        using var provision = await a.Http.PostAsJsonAsync($"api/blades/{blade.Id}/provision", new { imageId }, JsonDefaults.Options, ct);
        Assert.True(provision.StatusCode == HttpStatusCode.Accepted, await provision.Content.ReadAsStringAsync(ct));
        var volume = (await a.GetAsync<List<VolumeDto>>($"api/volumes?bladeId={blade.Id}")).Single();
        var jobId = (await a.GetAsync<List<JobDto>>($"api/jobs?bladeId={blade.Id}")).Single(j => j.Kind == "volume.clone").Id;
        await TestJobs.WaitAsync(a, jobId, j => j.ProgressDone >= DonorBytes / 8 && j.State == "Running", TimeSpan.FromSeconds(180));

        await postgres.Cluster.StopAsync(ct);
        await Task.Delay(Outage, ct);
        NpgsqlConnection.ClearAllPools();
        await postgres.Cluster.StartAsync(ct);

        var done = await TestJobs.WaitAsync(a, jobId, j => j.State is "Succeeded" or "Failed" or "Cancelled", TimeSpan.FromSeconds(240));
        Assert.True(done.State == "Succeeded", $"clone ended {done.State}: {done.Error}\nA:\n{a.Log()}\nB:\n{b.Log()}");
        // The timeline is written behind the job's own row: wait for the job's last event before counting.
        var events = await Eventually.UntilAsync(
            () => a.GetAsync<List<EventDto>>($"api/events?jobId={jobId}&limit=200"),
            es => es.Any(e => e.Kind == "job.succeeded"),
            TimeSpan.FromSeconds(60));
        Assert.Single(events, e => e.Kind == "job.succeeded");
        var after = await a.GetAsync<VolumeDto>($"api/volumes/{volume.Id}");
        Assert.Equal("Exported", after.State);
        Assert.Equal(TestDonors.HashFrom(donor, 512, DonorBytes), TestDonors.HashFrom(after.BackingPath, 512, DonorBytes));

        var executions = Executions(a.FullLog(), "node-a", jobId).Concat(Executions(b.FullLog(), "node-b", jobId)).OrderBy(e => e.Start).ToList();
        output.WriteLine("executions: " + string.Join("; ", executions.Select(e => $"{e.Node} {e.Start:HH:mm:ss.fff}–{e.End:HH:mm:ss.fff} {e.How}")));
        Assert.True(executions.Count >= 2, $"the restart did not interrupt the clone\nA:\n{a.Log()}\nB:\n{b.Log()}");
        for (int i = 1; i < executions.Count; i++)
        {
            Assert.True(executions[i].Start >= executions[i - 1].End, $"{executions[i].Node} started the clone before {executions[i - 1].Node}'s execution stopped");
        }
    }

    private sealed record Execution(string Node, DateTime Start, DateTime End, string How);

    /// <summary>A node's executions of a job, from its log: "started" to "lost its claim and stops", "finished", "failed" or "interrupted".</summary>
    private static List<Execution> Executions(string log, string node, long jobId)
    {
        var list = new List<Execution>();
        DateTime? start = null;
        foreach (Match m in Regex.Matches(log, $@"^(\S+) \S+: .*?Job {jobId} (?:\(volume\.clone\) )?(started|\S*.*?lost its claim and stops|finished|failed|interrupted)", RegexOptions.Multiline))
        {
            var at = DateTime.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
            var what = m.Groups[2].Value;
            if (what == "started")
            {
                start = at;
            }
            else if (start is DateTime s)
            {
                list.Add(new Execution(node, s, at, what.Contains("lost its claim", StringComparison.Ordinal) ? "fenced" : what));
                start = null;
            }
        }

        Assert.True(start is null, $"{node} has an execution of job {jobId} that never stopped");
        return list;
    }
}
