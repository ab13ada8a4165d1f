using System.Globalization;
using System.Text.RegularExpressions;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests.DataPlane;

/// <summary>
/// "Running blades survive the appliance", finding 1: the data plane outlives the control plane. A provisioned blade's
/// initiator (libiscsi, the blade's IQN, incoming and mutual CHAP from its sanboot script) holds ONE session and writes
/// every 200 ms while the appliance (shipped defaults: tgtd detached, left running on stop) is SIGTERMed and started
/// again, then SIGKILLed and started again. No write fails, the I_T nexus tgtd shows is the same one throughout (and
/// libiscsi's reconnect is off, so a drop could not hide), and the longest write stays under 10 s.
/// </summary>
public sealed partial class RunningBladeSurvivesApplianceTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const string Mac = "52:54:00:d9:01:01";
    private static readonly TimeSpan MaxStall = TimeSpan.FromSeconds(10);

    /// <summary>open-iscsi's default <c>node.session.timeo.replacement_timeout</c>: how long an OS initiator queues I/O for a lost session.</summary>
    private static readonly TimeSpan ReplacementTimeout = TimeSpan.FromSeconds(120);

    [GeneratedRegex(@"^bp_targets_reconcile_passes_total(?:\{[^}]*\})? (\d+)", RegexOptions.Multiline)]
    private static partial Regex ReconcilePasses();

    [GeneratedRegex(@"I_T nexus: (\d+)")]
    private static partial Regex Nexus();

    [Fact]
    public async Task WritesNeverFailAndTheSessionStaysThroughSigtermAndKillRestarts()
    {
        RequirePrograms();
        using var dir = new TempDirectory("bp-dataplane");
        var cs = await postgres.CreateEmptyDatabaseAsync("dataplane");
        await using var appliance = new ApplianceProcess(
            dir.Path, cs, "--Appliance:NodeName", "node-dataplane", "--Targets:StopTgtdOnShutdown", "false", "--Boot:RequireDhcpTicket", "false");
        await appliance.StartAsync();
        var (volume, writer) = await ProvisionAndWriteAsync(appliance, dir);
        using var _ = writer;
        var session = NexusOf(appliance.Tgt.ControlPort, volume.TargetIqn);

        // SIGTERM, then start again (the next start adopts tgtd and reconciles it to the database).
        var before = writer.LongestMs;
        await appliance.StopAsync();
        await writer.WaitForMoreWritesAsync(5, TimeSpan.FromSeconds(10));
        Assert.Equal(session, NexusOf(appliance.Tgt.ControlPort, volume.TargetIqn));
        await appliance.StartAsync();
        await WaitReconciledAsync(appliance);
        await writer.WaitForMoreWritesAsync(5, TimeSpan.FromSeconds(10));
        var afterTerm = writer.LongestMs;
        Assert.Equal(session, NexusOf(appliance.Tgt.ControlPort, volume.TargetIqn));

        // kill -9, then start again.
        await appliance.KillAsync();
        await writer.WaitForMoreWritesAsync(5, TimeSpan.FromSeconds(10));
        await appliance.StartAsync();
        await WaitReconciledAsync(appliance);
        await writer.WaitForMoreWritesAsync(5, TimeSpan.FromSeconds(10));
        var afterKill = writer.LongestMs;
        Assert.Equal(session, NexusOf(appliance.Tgt.ControlPort, volume.TargetIqn));

        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"DATAPLANE writes {writer.Writes}; longest write ms: before {before:F0}, through SIGTERM restart {afterTerm:F0}, through kill -9 restart {afterKill:F0}"));
        Assert.Empty(writer.Failures);
        Assert.True(afterKill < MaxStall.TotalMilliseconds, $"longest write {afterKill:F0} ms");
        var log = appliance.FullLog();
        Assert.Contains("tgtd left running", log, StringComparison.Ordinal);
        AssertTargetAdoptedAsItWas(log, volume.TargetIqn);
    }

    /// <summary>
    /// tgtd itself dies (kill -9): the session drops with it. The appliance sees tgtd stop answering, starts a new one and
    /// reconciles every target back from the database (same IQN, same backing file as LUN 1, same ACL and CHAP), and the
    /// blade's initiator (reconnect on, as an OS initiator is within its replacement timeout) logs in again with the same
    /// IQN and secrets: the write that was in flight completes, no write fails, and every block written before the kill
    /// is on the disk after it. open-iscsi's default replacement timeout is 120 s; the recovery must fit well inside.
    /// </summary>
    [Fact]
    public async Task TgtdKilledIsRestartedAndTheBladeLogsInAgainWithItsOwnCredentialsLosingNoWrite()
    {
        RequirePrograms();
        using var dir = new TempDirectory("bp-dataplane-tgtd");
        var cs = await postgres.CreateEmptyDatabaseAsync("dataplanetgtd");
        await using var appliance = new ApplianceProcess(
            dir.Path, cs, "--Appliance:NodeName", "node-dataplane-tgtd", "--Targets:StopTgtdOnShutdown", "true", "--Boot:RequireDhcpTicket", "false");
        await appliance.StartAsync();
        var (volume, writer) = await ProvisionAndWriteAsync(appliance, dir, reconnect: true);
        using var blade = writer;
        var port = appliance.Tgt.ControlPort.ToString(CultureInfo.InvariantCulture);
        var pid = int.Parse(File.ReadAllText($"/run/tgtd/bladeprovisioner.{port}.pid").Trim(), CultureInfo.InvariantCulture);
        Assert.NotEmpty(NexusOf(appliance.Tgt.ControlPort, volume.TargetIqn));

        var killed = TestNetwork.Run("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));
        Assert.Equal(0, killed.ExitCode);
        await Eventually.UntilAsync(() => Task.FromResult(Directory.Exists($"/proc/{pid}")), alive => !alive, TimeSpan.FromSeconds(10));

        // The writer's next writes complete only over a new login to the new tgtd.
        await writer.WaitForMoreWritesAsync(10, TimeSpan.FromSeconds(120));
        Assert.NotEmpty(NexusOf(appliance.Tgt.ControlPort, volume.TargetIqn));
        var target = TargetSection(appliance.Tgt.ControlPort, volume.TargetIqn);
        Assert.Contains($"Backing store path: {volume.BackingPath}", target, StringComparison.Ordinal);
        Assert.Contains(volume.ChapUser, target, StringComparison.Ordinal);
        var lost = writer.StopAndVerify(volume.BackingPath);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"DATAPLANE tgtd kill -9: writes {writer.Writes}; longest write (the recovery) {writer.LongestMs:F0} ms"));
        Assert.Empty(writer.Failures);
        Assert.Empty(lost);
        Assert.True(writer.LongestMs < ReplacementTimeout.TotalMilliseconds / 4, $"longest write {writer.LongestMs:F0} ms");
        Assert.Equal(2, Regex.Matches(appliance.FullLog(), "Starting tgtd").Count);
    }

    /// <summary>
    /// The shipped units under a supervisor that stops a unit as systemd does (SIGTERM, then SIGKILL to the unit's whole
    /// cgroup): tgtd from bladeprovisioner-tgtd.service's ExecStart in its cgroup, the appliance with
    /// bladeprovisioner.service's Environment= (Targets__ManageTgtd=false: adopt) in another. A stop of the appliance's
    /// unit empties its cgroup and leaves tgtd, the target and the blade's session alone; a start adopts them.
    /// </summary>
    [Fact]
    public async Task TgtdOfItsOwnUnitSurvivesAControlGroupStopOfTheApplianceUnit()
    {
        RequirePrograms();
        Prerequisites.Require(UnitSupervisor.Available, "cgroup v2 at /sys/fs/cgroup/unified (for a systemd-like control-group stop)");
        var deploy = Path.Combine(RepositoryRoot(), "deploy");
        var applianceUnit = UnitSupervisor.Environment(Path.Combine(deploy, "bladeprovisioner.service"));
        var tgtdUnit = UnitSupervisor.ServiceSettings(Path.Combine(deploy, "bladeprovisioner-tgtd.service"));
        Assert.Equal("false", applianceUnit["Targets__ManageTgtd"]);
        Assert.Contains(("KillMode", "process"), tgtdUnit);

        using var units = new UnitSupervisor();
        using var dir = new TempDirectory("bp-dataplane-unit");
        var cs = await postgres.CreateEmptyDatabaseAsync("dataplaneunit");
        var settings = applianceUnit.Where(kv => kv.Key.StartsWith("Targets__", StringComparison.Ordinal)).SelectMany(kv => new[] { "--" + kv.Key.Replace("__", ":", StringComparison.Ordinal), kv.Value });
        await using var appliance = new ApplianceProcess(
            dir.Path, cs, [.. settings, "--Appliance:NodeName", "node-dataplane-unit", "--Targets:StopTgtdOnShutdown", "false", "--Boot:RequireDhcpTicket", "false"]);

        // bladeprovisioner-tgtd.service: its ExecStart, this test's portal and control port in its environment file's place.
        var tgtdGroup = units.Group("tgtd");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["TGTD_PORTAL"] = $"127.0.0.1:{appliance.Tgt.PortalPort}",
            ["TGTD_CONTROL_PORT"] = appliance.Tgt.ControlPort.ToString(CultureInfo.InvariantCulture),
            ["TGTD_OPTIONS"] = string.Empty,
        };
        using var tgtd = UnitSupervisor.Start(tgtdGroup, tgtdUnit.Single(s => s.Key == "ExecStart").Value, environment);
        await Eventually.UntilAsync(() => Task.FromResult(TgtAnswers(appliance.Tgt.ControlPort)), a => a, TimeSpan.FromSeconds(10));

        var applianceGroup = units.Group("appliance");
        await appliance.StartAsync();
        UnitSupervisor.Move(applianceGroup, appliance.Pid!.Value);
        var (volume, writer) = await ProvisionAndWriteAsync(appliance, dir);
        using var _ = writer;
        var session = NexusOf(appliance.Tgt.ControlPort, volume.TargetIqn);

        // systemctl stop bladeprovisioner: SIGTERM to the main process, then SIGKILL to whatever is left in its cgroup.
        await appliance.StopAsync();
        await UnitSupervisor.KillRemainingAsync(applianceGroup);
        Assert.Empty(UnitSupervisor.Processes(applianceGroup));
        Assert.False(tgtd.HasExited, "tgtd died with the appliance's unit");
        Assert.Contains(tgtd.Id, UnitSupervisor.Processes(tgtdGroup));
        await writer.WaitForMoreWritesAsync(5, TimeSpan.FromSeconds(10));
        Assert.Equal(session, NexusOf(appliance.Tgt.ControlPort, volume.TargetIqn));

        // systemctl start bladeprovisioner: it adopts the unit's tgtd.
        await appliance.StartAsync();
        UnitSupervisor.Move(applianceGroup, appliance.Pid!.Value);
        await WaitReconciledAsync(appliance);
        await writer.WaitForMoreWritesAsync(5, TimeSpan.FromSeconds(10));
        Assert.Equal(session, NexusOf(appliance.Tgt.ControlPort, volume.TargetIqn));

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"DATAPLANE unit stop: writes {writer.Writes}; longest write {writer.LongestMs:F0} ms"));
        Assert.Empty(writer.Failures);
        Assert.True(writer.LongestMs < MaxStall.TotalMilliseconds, $"longest write {writer.LongestMs:F0} ms");
        var log = appliance.FullLog();
        Assert.DoesNotContain("Starting tgtd", log, StringComparison.Ordinal);
        AssertTargetAdoptedAsItWas(log, volume.TargetIqn);

        // systemctl stop bladeprovisioner-tgtd, the deliberate end of the data plane: its ExecStop= lines end tgtd.
        writer.Dispose();
        await appliance.StopAsync();
        foreach (var stop in tgtdUnit.Where(s => s.Key == "ExecStop"))
        {
            Assert.Equal(0, await UnitSupervisor.RunAsync(stop.Value, environment));
        }

        using var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(int.Parse(tgtdUnit.Single(s => s.Key == "TimeoutStopSec").Value, CultureInfo.InvariantCulture)));
        await tgtd.WaitForExitAsync(stopped.Token);
    }

    private static void RequirePrograms()
    {
        Prerequisites.RequireProgram("/usr/sbin/sfdisk");
        Prerequisites.RequireProgram("/usr/sbin/tgtadm");
        Prerequisites.RequireProgram("/usr/lib/x86_64-linux-gnu/libiscsi.so.7");
    }

    /// <summary>
    /// The restarts adopted the target as it was: made once, never found drifted, its LUN and ACL never touched. (Each
    /// start re-asserts the CHAP secrets once, since tgtd never shows one: tgt checks CHAP only at login, so the session
    /// is untouched, as the unchanged nexus shows.)
    /// </summary>
    private static void AssertTargetAdoptedAsItWas(string log, string targetIqn)
    {
        Assert.Single(Regex.Matches(log, $"Target {Regex.Escape(targetIqn)} created"));
        Assert.DoesNotContain($"Target {targetIqn} drifted", log, StringComparison.Ordinal);
        Assert.DoesNotContain($"Target {targetIqn} LUN", log, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(log, $"Target {Regex.Escape(targetIqn)} ACL "));
        Assert.DoesNotContain("session(s) dropped", log, StringComparison.Ordinal);
    }

    private static async Task<(VolumeDto Volume, BladeWriter Writer)> ProvisionAndWriteAsync(ApplianceProcess appliance, TempDirectory dir, bool reconnect = false) =>
        await RunningBlade.ProvisionAndWriteAsync(appliance, await TestDonors.ImportAsync(appliance, TestDonors.Write(dir.Sub("incoming"), 8 << 20), "dataplane"), Mac, reconnect);

    private static bool TgtAnswers(int controlPort) =>
        TestNetwork.Run("tgtadm", ["-C", controlPort.ToString(CultureInfo.InvariantCulture), "--op", "show", "--mode", "sys"], TimeSpan.FromSeconds(5)).ExitCode == 0;

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "BladeProvisioner.sln")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("BladeProvisioner.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The reconciler has completed a pass in this run of the appliance.</summary>
    private static async Task WaitReconciledAsync(ApplianceProcess appliance) =>
        await Eventually.UntilAsync(
            async () => await appliance.Http.GetStringAsync("metrics"),
            m => ReconcilePasses().Match(m) is { Success: true } p && long.Parse(p.Groups[1].Value, CultureInfo.InvariantCulture) >= 1,
            TimeSpan.FromSeconds(30));

    private static string NexusOf(int controlPort, string targetIqn) =>
        Assert.Single(Nexus().Matches(TargetSection(controlPort, targetIqn))).Groups[1].Value;

    private static string TargetSection(int controlPort, string targetIqn)
    {
        var show = TestNetwork.Run("tgtadm", ["-C", controlPort.ToString(CultureInfo.InvariantCulture), "--lld", "iscsi", "--op", "show", "--mode", "target"], TimeSpan.FromSeconds(10));
        Assert.Equal(0, show.ExitCode);
        var start = show.Stdout.IndexOf(targetIqn, StringComparison.Ordinal);
        Assert.True(start >= 0, $"target {targetIqn} is gone:\n{show.Stdout}");
        var next = show.Stdout.IndexOf("\nTarget ", start, StringComparison.Ordinal);
        return next < 0 ? show.Stdout[start..] : show.Stdout[start..next];
    }
}
