using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using BladeProvisioner.Testing;
using Npgsql;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>
/// Durable jobs against the real appliance process: a SIGKILL in the middle of a job, a restart, and the job finishes
/// exactly once with its progress carried over; two nodes on one database migrate once and run each job once.
/// </summary>
public sealed class JobDurabilityTests(PostgresServer postgres)
{
    private const long ImageBytes = 160L << 20;
    private const long RateLimit = 16L << 20; // ~10 s of copying: long enough to kill it in the middle

    [Fact]
    public async Task JobKilledMidwayResumesFromItsCheckpointAndFinishesOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("bp-kill");
        var cs = await postgres.CreateEmptyDatabaseAsync("kill");
        var source = WriteRandomFile(dir.Sub("incoming"), "donor.raw", ImageBytes);
        var expectedSha = await Sha256Async(source);
        await using var appliance = new ApplianceProcess(
            dir.Path, cs, "--Appliance:NodeName", "node-kill", "--Storage:Images:ImportBytesPerSecondLimit", RateLimit.ToString(System.Globalization.CultureInfo.InvariantCulture));

        await appliance.StartAsync();
        var started = await PostImportAsync(appliance, "killtest", source);
        var jobId = started.Job.Id;

        // Wait until a good part is copied and checkpointed, then pull the plug.
        var before = await TestJobs.WaitAsync(appliance, jobId, j => j.State == "Running" && j.ProgressDone >= ImageBytes * 35 / 100, TimeSpan.FromSeconds(180));
        await appliance.KillAsync();
        var checkpoint = await DurableOffsetAsync(cs, jobId);
        Assert.True(checkpoint > 0, "a checkpoint was recorded before the kill");
        Assert.True(before.ProgressDone < ImageBytes, "the job was still running when killed");

        await appliance.StartAsync();
        var seen = new List<long>();
        var done = await TestJobs.WaitAsync(
            appliance,
            jobId,
            j =>
            {
                seen.Add(j.ProgressDone);
                return j.State is "Succeeded" or "Failed" or "Cancelled";
            },
            TimeSpan.FromSeconds(90));

        Assert.True(done.State == "Succeeded", $"job ended {done.State}: {done.Error}\n{appliance.Log()}");
        Assert.Equal(2, done.Attempts);
        Assert.All(seen, p => Assert.True(p >= checkpoint, $"progress {p} went back below the checkpoint {checkpoint}"));

        var events = await Eventually.UntilAsync(
            () => appliance.GetAsync<List<EventDto>>($"api/events?jobId={jobId}"), es => es.Any(e => e.Kind == "job.succeeded"));
        Assert.Single(events, e => e.Kind == "job.succeeded");
        Assert.Equal(2, events.Count(e => e.Kind == "job.started"));
        Assert.Contains(events, e => e.Kind == "job.started" && e.Summary.Contains("resuming", StringComparison.Ordinal));

        var image = await appliance.GetAsync<ImageDto>($"api/images/{started.Image.Id}");
        Assert.Equal("Active", image.State);
        Assert.Equal(expectedSha, image.Sha256);
        Assert.Equal(expectedSha, await Sha256Async(Path.Combine(dir.Path, "images", "killtest", "v1.raw")));
        Assert.False(File.Exists(Path.Combine(dir.Path, "images", "killtest", "v1.raw.partial")));
    }

    [Fact]
    public async Task TwoNodesStartTogetherOnOneDatabaseAndRunEachJobOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dirA = new TempDirectory("bp-node-a");
        using var dirB = new TempDirectory("bp-node-b");
        var cs = await postgres.CreateEmptyDatabaseAsync("cluster");
        var keys = Directory.CreateDirectory(Path.Combine(dirA.Path, "shared-keys")).FullName;
        await using var a = new ApplianceProcess(dirA.Path, cs, "--Appliance:NodeName", "node-a", "--DataProtection:KeyDirectory", keys, "--Storage:Images:ImportRoots:0", dirA.Path);
        await using var b = new ApplianceProcess(dirB.Path, cs, "--Appliance:NodeName", "node-b", "--DataProtection:KeyDirectory", keys, "--Storage:Images:ImportRoots:0", dirA.Path);

        // Both migrate the empty database at once; the advisory lock makes one wait for the other.
        await Task.WhenAll(a.StartAsync(), b.StartAsync());
        await using (var conn = new NpgsqlConnection(cs))
        {
            await conn.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand("SELECT count(*), count(DISTINCT version) FROM schema_migrations", conn);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            Assert.Equal(r.GetInt64(1), r.GetInt64(0));
        }

        var incoming = dirA.Sub("incoming");
        var jobs = new List<(long Job, string Sha)>();
        for (int i = 0; i < 6; i++)
        {
            var file = WriteRandomFile(incoming, $"img{i}.raw", 4L << 20);
            var node = i % 2 == 0 ? a : b;
            var started = await PostImportAsync(node, $"cluster{i}", file);
            jobs.Add((started.Job.Id, await Sha256Async(file)));
        }

        foreach (var (jobId, sha) in jobs)
        {
            var done = await TestJobs.WaitAsync(a, jobId, j => j.State is "Succeeded" or "Failed", TimeSpan.FromSeconds(180));
            Assert.True(done.State == "Succeeded", $"job {jobId}: {done.Error}\nA:\n{a.Log()}\nB:\n{b.Log()}");
            Assert.Equal(1, done.Attempts);
            var events = await Eventually.UntilAsync(
                () => b.GetAsync<List<EventDto>>($"api/events?jobId={jobId}"), es => es.Any(e => e.Kind == "job.succeeded"));
            Assert.Single(events, e => e.Kind == "job.started");
            Assert.Single(events, e => e.Kind == "job.succeeded");
        }

        var images = await a.GetAsync<List<ImageDto>>("api/images");
        Assert.All(jobs, j => Assert.Contains(images, i => i.Sha256 == j.Sha && i.State == "Active"));
    }

    [Fact]
    public async Task JobOfAKilledNodeIsTakenOverByTheOtherNodeWithinThirtySeconds()
    {
        using var dirA = new TempDirectory("bp-take-a");
        using var dirB = new TempDirectory("bp-take-b");
        var cs = await postgres.CreateEmptyDatabaseAsync("takeover");
        var keys = Directory.CreateDirectory(Path.Combine(dirA.Path, "shared-keys")).FullName;
        var source = WriteRandomFile(dirA.Sub("incoming"), "donor.raw", ImageBytes);
        var expectedSha = await Sha256Async(source);
        var limit = RateLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] Args(string node) =>
        [
            "--Appliance:NodeName", node, "--DataProtection:KeyDirectory", keys, "--Storage:Images:ImportRoots:0", dirA.Path,
            "--Storage:Images:ImportBytesPerSecondLimit", limit,
        ];
        await using var a = new ApplianceProcess(dirA.Path, cs, Args("node-a"));
        await using var b = new ApplianceProcess(dirB.Path, cs, Args("node-b"));

        // Both nodes run; whichever takes the job is killed in the middle of it, and the other must resume it.
        await Task.WhenAll(a.StartAsync(), b.StartAsync());
        var started = await PostImportAsync(a, "takeover", source);
        var jobId = started.Job.Id;
        var running = await TestJobs.WaitAsync(a, jobId, j => j.State == "Running" && j.Node is "node-a" or "node-b" && j.ProgressDone >= ImageBytes / 10, TimeSpan.FromSeconds(180));
        var (victim, survivor, survivorName) = running.Node == "node-a" ? (a, b, "node-b") : (b, a, "node-a");
        await victim.KillAsync();
        var killedAt = DateTime.UtcNow;

        var resumed = await TestJobs.WaitAsync(survivor, jobId, j => j.Node == survivorName && j.Attempts == 2, TimeSpan.FromSeconds(60));
        var takeover = DateTime.UtcNow - killedAt;
        TestContext.Current.TestOutputHelper?.WriteLine($"takeover after kill -9: {takeover.TotalSeconds:F1} s");
        Assert.True(takeover < TimeSpan.FromSeconds(30), $"{survivorName} resumed the job {takeover.TotalSeconds:F1} s after {running.Node} died\n{survivor.Log()}");
        Assert.True(resumed.State == "Running" || resumed.State == "Succeeded", $"resumed job is {resumed.State}");

        var done = await TestJobs.WaitAsync(survivor, jobId, j => j.State is "Succeeded" or "Failed" or "Cancelled", TimeSpan.FromSeconds(180));
        Assert.True(done.State == "Succeeded", $"job ended {done.State}: {done.Error}\n{survivor.Log()}");
        Assert.Equal(2, done.Attempts);
        var image = await survivor.GetAsync<ImageDto>($"api/images/{started.Image.Id}");
        Assert.Equal(expectedSha, image.Sha256);
        var events = await Eventually.UntilAsync(
            () => survivor.GetAsync<List<EventDto>>($"api/events?jobId={jobId}"), es => es.Any(e => e.Kind == "job.succeeded"));
        Assert.Single(events, e => e.Kind == "job.succeeded");
        Assert.Contains(events, e => e.Kind == "job.started" && e.Summary.Contains(survivorName, StringComparison.Ordinal) && e.Summary.Contains("resuming", StringComparison.Ordinal));
    }

    private static async Task<ImportStartedDto> PostImportAsync(ApplianceProcess appliance, string name, string path)
    {
        using var response = await appliance.Http.PostAsJsonAsync(
            "api/images/import", new { name, operatingSystem = "Test", bootMode = "Both", path }, JsonDefaults.Options);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<ImportStartedDto>(JsonDefaults.Options))!;
    }

    private static async Task<long> DurableOffsetAsync(string cs, long jobId)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT COALESCE((checkpoint->>'durableOffset')::bigint, 0) FROM jobs WHERE id = $1", conn);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = jobId });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static string WriteRandomFile(string directory, string name, long bytes)
    {
        var path = Path.Combine(directory, name);
        using var f = File.Create(path);
        var buffer = new byte[1 << 20];
        for (long written = 0; written < bytes; written += buffer.Length)
        {
            RandomNumberGenerator.Fill(buffer);
            f.Write(buffer, 0, (int)Math.Min(buffer.Length, bytes - written));
        }

        return path;
    }

    private static async Task<string> Sha256Async(string path)
    {
        await using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(f));
    }
}
