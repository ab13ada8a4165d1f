using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Storage.Targets.Reconciler;
using BladeProvisioner.Storage.Targets.Tgt;
using BladeProvisioner.Storage.Tests.Targets.Lab;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Who = BladeProvisioner.Storage.Tests.Targets.Lab.Initiator.Credentials;

namespace BladeProvisioner.Storage.Tests.Targets;

/// <summary>tgtd dies (SIGKILL) and forgets everything; the reconciler puts every target back from the database.</summary>
public sealed class TargetRestartLiveTests(TgtLabFixture fixture) : IClassFixture<TgtLabFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AfterTgtdIsKilledAndRestartedTheReconcilerBringsEveryTargetBack()
    {
        var lab = fixture.Require();
        using var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var driver = new TgtDriver(new ProcessRunner(factory.CreateLogger<ProcessRunner>()), Options.Create(lab.Options), factory.CreateLogger<TgtDriver>());
        var blades = new[] { lab.NewBlade(1), lab.NewBlade(2, mutual: true), lab.NewBlade(3) };
        var desired = new FakeDesiredTargets();
        desired.Set([.. blades.Select(b => b.Spec)]);
        var reconciler = new TargetReconciler(driver, desired, Options.Create(lab.Options), factory.CreateLogger<TargetReconciler>());

        var first = await reconciler.ReconcileAsync(Ct);
        Assert.Equal(3, first.Missing.Count);
        Assert.True(first.Succeeded);
        var before = (await driver.ListAsync(Ct)).ToDictionary(t => t.Iqn);

        await lab.KillTgtdAsync();
        Assert.False(await driver.IsRunningAsync(Ct));
        await lab.StartTgtdAsync();
        Assert.Empty(await driver.ListAsync(Ct));

        var report = await reconciler.ReconcileAsync(Ct);
        Assert.Equal(blades.Select(b => b.Spec.TargetIqn).Order(), report.Missing.Order());
        Assert.True(report.Succeeded);

        var after = (await driver.ListAsync(Ct)).ToDictionary(t => t.Iqn);
        foreach (var (spec, content) in blades)
        {
            var live = after[spec.TargetIqn];
            Assert.Empty(TargetDrift.Describe(spec, live));
            Assert.Equal(before[spec.TargetIqn].Tid, live.Tid);
            Assert.Equal(before[spec.TargetIqn].FindLun(1), live.FindLun(1));
            var read = await lab.Initiator.ReadLunAsync(spec.TargetIqn, 1, Who.Of(spec));
            Assert.True(content.AsSpan().SequenceEqual(read), $"{spec.TargetIqn} serves other bytes after the restart");
            Assert.NotEqual(0, (await lab.Initiator.InquireAsync(spec.TargetIqn, 1, Who.Of(spec) with { User = null, Secret = null })).ExitCode);
            Assert.NotEqual(0, (await lab.Initiator.InquireAsync(spec.TargetIqn, 1, Who.Of(spec) with { Secret = "Wrong" + spec.ChapSecret[5..] })).ExitCode);
        }

        var mutual = blades[1].Spec;
        Assert.Equal(0, (await lab.Initiator.InquireAsync(mutual.TargetIqn, 1, Who.Of(mutual))).ExitCode);

        // A quiet pass afterwards: nothing to do, nothing reported.
        var quiet = await reconciler.ReconcileAsync(Ct);
        Assert.False(quiet.HasDrift);
        Assert.Equal(3, quiet.InSync);

        var secrets = blades.SelectMany(b => new[] { b.Spec.ChapSecret, b.Spec.MutualChapSecret }).OfType<string>().ToList();
        Assert.NotEmpty(logs.Lines);
        Assert.All(logs.Lines, line => Assert.All(secrets, s => Assert.DoesNotContain(s, line, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task UnknownTargetsAreReportedAndRemovedOnlyWhenConfiguredAndOurs()
    {
        var lab = fixture.Require();
        var driver = lab.CreateDriver();
        var (kept, _) = lab.NewBlade(11);
        var (stray, _) = lab.NewBlade(12);
        var foreign = stray with { TargetIqn = "iqn.2026-01.org.example:other.disk" };
        await driver.EnsureTargetAsync(stray, Ct);
        await driver.EnsureTargetAsync(foreign, Ct);
        var desired = new FakeDesiredTargets();
        desired.Set(kept);

        var reportOnly = await new TargetReconciler(driver, desired, Options.Create(lab.Options), Microsoft.Extensions.Logging.Abstractions.NullLogger<TargetReconciler>.Instance).ReconcileAsync(Ct);
        Assert.Contains(stray.TargetIqn, reportOnly.Unknown);
        Assert.Contains(foreign.TargetIqn, reportOnly.Unknown);
        Assert.Empty(reportOnly.Removed);

        var options = lab.Options;
        options.RemoveUnknown = true;
        var removing = await new TargetReconciler(driver, desired, Options.Create(options), Microsoft.Extensions.Logging.Abstractions.NullLogger<TargetReconciler>.Instance).ReconcileAsync(Ct);
        Assert.Contains(stray.TargetIqn, removing.Removed);
        Assert.Contains(foreign.TargetIqn, removing.Unknown);
        var names = (await driver.ListAsync(Ct)).Select(t => t.Iqn).ToList();
        Assert.DoesNotContain(stray.TargetIqn, names);
        Assert.Contains(foreign.TargetIqn, names);
        Assert.Contains(kept.TargetIqn, names);
        await driver.RemoveTargetAsync(foreign.TargetIqn, Ct);
        await driver.RemoveTargetAsync(kept.TargetIqn, Ct);
    }
}
