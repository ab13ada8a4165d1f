using System.Net;
using System.Net.Http.Json;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>
/// kill -9 of the appliance in the middle of a clone, restart: the clone job resumes and completes, the volume
/// verifies, and at no moment did tgtd export the half-made volume.
/// </summary>
public sealed class CloneDurabilityTests(PostgresServer postgres)
{
    private const long DonorBytes = 128L << 20;

    [Fact]
    public async Task CloneKilledMidwayResumesVerifiesAndIsNeverExportedHalfMade()
    {
        Prerequisites.RequireProgram("/usr/sbin/sfdisk");
        Prerequisites.RequireProgram("/usr/sbin/tgtadm");
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("bp-clonekill");
        var cs = await postgres.CreateEmptyDatabaseAsync("clonekill");
        var donor = TestDonors.Write(dir.Sub("incoming"), DonorBytes);
        await using var appliance = new ApplianceProcess(
            dir.Path, cs, "--Appliance:NodeName", "node-clone", "--Storage:Clone:DefaultBytesPerSecondLimit", (12L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await appliance.StartAsync();

        var imageId = await TestDonors.ImportAsync(appliance, donor);
        using var created = await appliance.Http.PostAsJsonAsync("api/blades", new { bootMac = "52:54:00:c1:00:01" }, JsonDefaults.Options, ct);
        var blade = (await created.Content.ReadFromJsonAsync<BladeDto>(JsonDefaults.Options, ct))!;
        using var provision = await appliance.Http.PostAsJsonAsync($"api/blades/{blade.Id}/provision", new { imageId }, JsonDefaults.Options, ct);
        Assert.True(provision.StatusCode == HttpStatusCode.Accepted, await provision.Content.ReadAsStringAsync(ct));
        var volume = (await appliance.GetAsync<List<VolumeDto>>($"api/volumes?bladeId={blade.Id}")).Single();
        var jobId = (await appliance.GetAsync<List<JobDto>>($"api/jobs?bladeId={blade.Id}")).Single(j => j.Kind == "volume.clone").Id;

        // Watch tgtd the whole time: the target may appear only once the volume verified (Ready, then Exported).
        using var watch = new CancellationTokenSource();
        var exportedEarly = new List<string>();
        var watcher = Task.Run(
            async () =>
            {
                while (!watch.IsCancellationRequested)
                {
                    var live = TargetsShown(appliance.Tgt.ControlPort);
                    if (live.Contains(volume.TargetIqn, StringComparison.Ordinal))
                    {
                        var state = (await appliance.GetAsync<VolumeDto>($"api/volumes/{volume.Id}")).State;
                        if (state is not ("Ready" or "Exported"))
                        {
                            exportedEarly.Add(state);
                        }
                    }

                    await Task.Delay(150);
                }
            },
            CancellationToken.None);

        await TestJobs.WaitAsync(appliance, jobId, j => j.ProgressDone >= DonorBytes / 3 && j.State == "Running", TimeSpan.FromSeconds(180));
        await appliance.KillAsync();
        Assert.DoesNotContain(volume.TargetIqn, TargetsShown(appliance.Tgt.ControlPort), StringComparison.Ordinal);

        await appliance.StartAsync();
        var done = await TestJobs.WaitAsync(appliance, jobId, j => j.State is "Succeeded" or "Failed" or "Cancelled", TimeSpan.FromSeconds(120));
        await watch.CancelAsync();
        await watcher;

        Assert.True(done.State == "Succeeded", $"clone ended {done.State}: {done.Error}\n{appliance.Log()}");
        Assert.Equal(2, done.Attempts);
        Assert.Empty(exportedEarly);
        var after = await appliance.GetAsync<VolumeDto>($"api/volumes/{volume.Id}");
        Assert.Equal("Exported", after.State);
        Assert.Contains(volume.TargetIqn, TargetsShown(appliance.Tgt.ControlPort), StringComparison.Ordinal);
        Assert.Equal("Provisioned", (await appliance.GetAsync<BladeDto>($"api/blades/{blade.Id}")).State);

        // The volume verifies: a readable table (sfdisk), and every byte after the table is the donor's.
        var table = TestNetwork.Run("sfdisk", ["--json", after.BackingPath], TimeSpan.FromSeconds(30));
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains("\"label\": \"dos\"", table.Stdout, StringComparison.Ordinal);
        Assert.Equal(TestDonors.HashFrom(donor, 1 << 20, DonorBytes), TestDonors.HashFrom(after.BackingPath, 1 << 20, DonorBytes));

        // The personalised table differs from the donor's (a new disk signature) only in block 0.
        Assert.NotEqual(TestDonors.HashFrom(donor, 0, 512), TestDonors.HashFrom(after.BackingPath, 0, 512));
    }

    private static string TargetsShown(int controlPort) =>
        TestNetwork.Run("tgtadm", ["-C", controlPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--lld", "iscsi", "--op", "show", "--mode", "target"], TimeSpan.FromSeconds(10)).Stdout;
}
