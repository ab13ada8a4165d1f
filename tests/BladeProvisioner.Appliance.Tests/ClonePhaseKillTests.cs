using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>
/// kill -9 of the appliance at 20 random points spread over every phase of a clone (copy, personalise, export), each
/// in a different clone, a restart after each kill: 20/20 killed jobs (and every other) finish exactly once, no attempt fails (in particular no false
/// DONOR_CHECKSUM_MISMATCH from hashing an already personalised block 0), every volume is the donor's bytes outside
/// the sectors personalisation rewrites, and no volume file or tgt target is left over.
/// </summary>
public sealed partial class ClonePhaseKillTests(PostgresServer postgres)
{
    private const long DonorBytes = 64L << 20;
    private const long RateLimit = 24L << 20; // ~2.7 s of copying per clone
    private const int PauseMs = 1200; // between each phase's durable effect and its record (the test hook)
    private const int KillPoints = 20;

    // The phases the kills aim at, in turn.
    private static readonly string[] Targets = ["copy", "personalise", "export"];

    [Fact]
    public async Task KillsAtRandomPointsOfEveryClonePhaseLeaveEveryJobFinishedOnceAndNoOrphans()
    {
        Prerequisites.RequireProgram("/usr/sbin/sfdisk");
        Prerequisites.RequireProgram("/usr/sbin/tgtadm");
        var ct = TestContext.Current.CancellationToken;
        var seed = int.TryParse(System.Environment.GetEnvironmentVariable("BP_CLONE_KILL_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        var random = new Random(seed);
        Output($"kill-point seed {seed} (set BP_CLONE_KILL_SEED={seed} to replay)");

        using var dir = new TempDirectory("bp-clonephase");
        var cs = await postgres.CreateEmptyDatabaseAsync("clonephase");
        var donor = TestDonors.Write(dir.Sub("incoming"), DonorBytes);
        await using var appliance = new ApplianceProcess(
            dir.Path,
            cs,
            "--Appliance:NodeName", "node-phases",
            "--Storage:Clone:DefaultBytesPerSecondLimit", RateLimit.ToString(CultureInfo.InvariantCulture),
            "--Jobs:InvisibilityTimeout", "00:00:05",
            "--Jobs:PollInterval", "00:00:00.250");
        appliance.Environment["BLADEPROVISIONER_TEST_CLONE_PHASE_PAUSE_MS"] = PauseMs.ToString(CultureInfo.InvariantCulture);
        await appliance.StartAsync();
        var imageId = await TestDonors.ImportAsync(appliance, donor);

        // Clones run in pairs, and each pair gets one kill -9, aimed in turn at the copy, the personalisation or the export
        // of its first clone (once that clone is really executing), at a random point inside the phase. Every clone
        // executing a phase when the appliance dies is a kill point; 20 clones, each killed once, must all finish.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var points = new List<(long Job, string Phase)>();
        var clones = new List<(long Job, VolumeDto Volume)>();
        var kills = 0;
        while (points.Count < KillPoints)
        {
            Assert.True(kills < 40, $"only {points.Count} kill points after {kills} kills");
            var pair = new[] { await ProvisionAsync(appliance, imageId, clones.Count, ct), await ProvisionAsync(appliance, imageId, clones.Count + 1, ct) };
            clones.AddRange(pair);
            var target = Targets[kills % Targets.Length];
            if (await WaitForPhaseAsync(appliance, pair[0].Job, pair[0].Volume.Id, 0, target))
            {
                var delay = target == "copy" ? random.Next(0, 2000) : random.Next(0, PauseMs * 9 / 10);
                await Task.Delay(delay, ct);
                var seen = new List<string>();
                foreach (var (job, volume) in pair)
                {
                    var (_, phase) = await PhaseAsync(appliance, job, volume.Id);
                    if (phase is not null && points.Count < KillPoints)
                    {
                        points.Add((job, phase));
                        seen.Add($"job {job} in {phase}");
                    }
                }

                await appliance.KillAsync();
                kills++;
                Output($"kill {kills,2} (aimed at {target}, +{delay} ms): {string.Join(", ", seen)}");
                await appliance.StartAsync();
            }

            foreach (var (job, _) in pair)
            {
                var done = await TestJobs.WaitAsync(appliance, job, x => x.State is "Succeeded" or "Failed" or "Cancelled", TimeSpan.FromSeconds(180));
                Assert.True(done.State == "Succeeded", $"clone job {job} ended {done.State}: {done.Error}\n{appliance.Log()}");
            }
        }

        Assert.Equal(KillPoints, points.Select(p => p.Job).Distinct().Count());
        Output($"{points.Count} kill points ({kills} kills of the appliance) over {clones.Count} clones in {clock.Elapsed.TotalSeconds:F0} s: "
            + string.Join(", ", points.GroupBy(p => p.Phase).Select(g => $"{g.Key} {g.Count()}")));
        foreach (var phase in new[] { "copy", "personalise", "export" })
        {
            Assert.Contains(points, k => k.Phase == phase);
        }

        // Every job finished exactly once and no attempt failed or was retried (a false checksum failure would be).
        foreach (var (jobId, _) in clones)
        {
            var events = await Eventually.UntilAsync(
                () => appliance.GetAsync<List<EventDto>>($"api/events?jobId={jobId}"), es => es.Any(e => e.Kind == "job.succeeded"));
            Assert.Single(events, e => e.Kind == "job.succeeded");
            Assert.DoesNotContain(events, e => e.Kind is "job.failed" or "job.retried" or "job.cancelled");
        }

        Assert.DoesNotContain("DONOR_CHECKSUM_MISMATCH", appliance.FullLog(), StringComparison.Ordinal);

        // Every volume: exported, the donor's bytes except what personalisation rewrites in block 0 (the disk
        // signature, the grown partition's sector count), zeros after the donor.
        var donorHead = ReadRange(donor, 0, 512);
        foreach (var (_, v) in clones)
        {
            var after = await appliance.GetAsync<VolumeDto>($"api/volumes/{v.Id}");
            Assert.Equal("Exported", after.State);
            var head = ReadRange(after.BackingPath, 0, 512);
            Assert.NotEqual(donorHead.AsSpan(440, 4).ToArray(), head.AsSpan(440, 4).ToArray());
            Mask(donorHead);
            Mask(head);
            Assert.Equal(donorHead, head);
            Assert.Equal(TestDonors.HashFrom(donor, 512, DonorBytes), TestDonors.HashFrom(after.BackingPath, 512, DonorBytes));
            Assert.True(IsZero(after.BackingPath, DonorBytes, after.SizeBytes), $"{after.BackingPath} has data after the donor's end");
            var table = TestNetwork.Run("sfdisk", ["--json", after.BackingPath], TimeSpan.FromSeconds(30));
            Assert.True(table.ExitCode == 0, table.Stderr);
        }

        // No orphans: the volume directory holds exactly the clones' volumes, tgtd exports exactly their targets.
        var volumeDir = Path.GetDirectoryName(clones[0].Volume.BackingPath)!;
        Assert.Equal(
            clones.Select(c => Path.GetFileName(c.Volume.BackingPath)).Order(StringComparer.Ordinal),
            Directory.GetFiles(volumeDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var shown = TargetLine().Matches(TargetsShown(appliance.Tgt.ControlPort)).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal);
        Assert.Equal(clones.Select(c => c.Volume.TargetIqn).Order(StringComparer.Ordinal), shown);
        Assert.Equal(clones.Count, (await appliance.GetAsync<List<VolumeDto>>("api/volumes")).Count);
    }

    private static void Output(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

    // Bytes 440-443: the MBR disk signature (new per blade); partition 1's CHS end (451-453) and sector count
    // (458-461), since it is grown to the volume's end.
    private static void Mask(byte[] sector)
    {
        sector.AsSpan(440, 4).Clear();
        sector.AsSpan(446 + 5, 3).Clear();
        sector.AsSpan(446 + 12, 4).Clear();
    }

    private static async Task<(long Job, VolumeDto Volume)> ProvisionAsync(ApplianceProcess appliance, long imageId, int n, CancellationToken ct)
    {
        var mac = $"52:54:00:c2:00:{n + 1:x2}";
        using var created = await appliance.Http.PostAsJsonAsync("api/blades", new { bootMac = mac }, JsonDefaults.Options, ct);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync(ct));
        var blade = (await created.Content.ReadFromJsonAsync<BladeDto>(JsonDefaults.Options, ct))!;
        using var provision = await appliance.Http.PostAsJsonAsync(
            $"api/blades/{blade.Id}/provision", new { imageId, sizeBytes = DonorBytes + (16L << 20) }, JsonDefaults.Options, ct);
        Assert.True(provision.StatusCode == HttpStatusCode.Accepted, await provision.Content.ReadAsStringAsync(ct));
        var volume = (await appliance.GetAsync<List<VolumeDto>>($"api/volumes?bladeId={blade.Id}")).Single();
        var jobId = (await appliance.GetAsync<List<JobDto>>($"api/jobs?bladeId={blade.Id}")).Single(j => j.Kind == "volume.clone").Id;
        return (jobId, volume);
    }

    /// <summary>
    /// The job's attempts and the phase it is in, from what the API shows: copying (Cloning), personalising (Verifying:
    /// the table is rewritten, read back and fsynced), exporting (Ready: the target is being made); null when not running.
    /// </summary>
    private static async Task<(int Attempts, string? Phase)> PhaseAsync(ApplianceProcess appliance, long jobId, long volumeId)
    {
        var job = await appliance.GetAsync<JobDto>($"api/jobs/{jobId}");
        if (job.State != "Running")
        {
            return (job.Attempts, null);
        }

        return (job.Attempts, (await appliance.GetAsync<VolumeDto>($"api/volumes/{volumeId}")).State switch
        {
            "Cloning" => "copy",
            "Verifying" => "personalise",
            "Ready" => "export",
            _ => null,
        });
    }

    /// <summary>Waits until the job was claimed again after <paramref name="claimed"/> attempts and is in <paramref name="phase"/>; false when it finished first.</summary>
    private static async Task<bool> WaitForPhaseAsync(ApplianceProcess appliance, long jobId, long volumeId, int claimed, string phase)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        string? last = null;
        while (DateTime.UtcNow < deadline)
        {
            (var attempts, last) = await PhaseAsync(appliance, jobId, volumeId);
            if (last == phase && attempts > claimed)
            {
                return true;
            }

            if ((await appliance.GetAsync<JobDto>($"api/jobs/{jobId}")).State is "Succeeded" or "Failed" or "Cancelled")
            {
                return false;
            }

            await Task.Delay(40);
        }

        throw new TimeoutException($"Clone job {jobId} never reached its {phase} phase (last seen {last ?? "not running"}).\n{appliance.Log()}");
    }

    private static string TargetsShown(int controlPort) =>
        TestNetwork.Run("tgtadm", ["-C", controlPort.ToString(CultureInfo.InvariantCulture), "--lld", "iscsi", "--op", "show", "--mode", "target"], TimeSpan.FromSeconds(10)).Stdout;

    [GeneratedRegex(@"^Target \d+: (\S+)$", RegexOptions.Multiline)]
    private static partial Regex TargetLine();

    private static byte[] ReadRange(string path, long offset, int count)
    {
        using var f = File.OpenRead(path);
        f.Position = offset;
        var buffer = new byte[count];
        f.ReadExactly(buffer);
        return buffer;
    }

    private static bool IsZero(string path, long offset, long end)
    {
        using var f = File.OpenRead(path);
        f.Position = offset;
        var buffer = new byte[1 << 20];
        for (long left = end - offset; left > 0;)
        {
            var n = f.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0)
            {
                return true;
            }

            if (buffer.AsSpan(0, n).ContainsAnyExcept((byte)0))
            {
                return false;
            }

            left -= n;
        }

        return true;
    }
}
