using System.Globalization;
using BladeProvisioner.Core.Readiness;
using BladeProvisioner.Storage.Targets;
using BladeProvisioner.Storage.Targets.Reconciler;
using BladeProvisioner.Storage.Tests.Targets.Lab;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Who = BladeProvisioner.Storage.Tests.Targets.Lab.Initiator.Credentials;

namespace BladeProvisioner.Storage.Tests.Targets;

/// <summary>The module as the appliance wires it (AddTargets): it starts tgtd, gates readiness, survives a tgtd crash.</summary>
public sealed class TgtdSupervisorLiveTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ApplianceStartsTgtdRestoresTargetsBeforeReadyAndAgainAfterTgtdIsKilled()
    {
        LabPrerequisites.Require();
        await using var lab = await TgtLab.CreateAsync(startTgtd: false);
        var (spec, content) = lab.NewBlade(1, mutual: true);
        var desired = new FakeDesiredTargets();
        desired.Set(spec);

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Targets:NetworkNamespace"] = lab.Namespace,
            ["Targets:ControlPort"] = lab.ControlPort.ToString(CultureInfo.InvariantCulture),
            ["Targets:PortalAddress"] = lab.PortalAddress,
            ["Targets:ReconcileInterval"] = "00:10:00",

            // This test ends with a clean stop that leaves nothing in the namespace (the default leaves tgtd running).
            ["Targets:StopTgtdOnShutdown"] = "true",
        });
        builder.Services.AddSingleton<IDesiredTargetSource>(desired);
        builder.AddTargets();
        using var host = builder.Build();
        var readiness = host.Services.GetRequiredService<ApplianceReadiness>();
        var driver = host.Services.GetRequiredService<ITargetDriver>();

        await host.StartAsync(Ct);
        await readiness.WaitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.True((await lab.Initiator.ReadLunAsync(spec.TargetIqn, 1, Who.Of(spec))).AsSpan().SequenceEqual(content));

        // SIGKILL every process in the target namespace: that is the supervised tgtd.
        var pids = (await LabProcess.MustAsync("ip", "netns", "pids", lab.Namespace)).StdoutText
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(pids);
        // A short-lived tool the appliance runs there (tgtadm) may have ended between the listing and its kill.
        var killed = 0;
        foreach (var pid in pids)
        {
            var kill = await LabProcess.RunAsync("kill", ["-9", pid]);
            Assert.True(kill.ExitCode == 0 || kill.Stderr.Contains("No such process", StringComparison.Ordinal), kill.Stderr);
            killed += kill.ExitCode == 0 ? 1 : 0;
        }

        Assert.True(killed > 0, "no process of the namespace was there to kill");

        // The supervisor restarts tgtd and asks for a pass at once (the interval is ten minutes).
        // Ensure binds the ACL last, so "no drift" means the blade can log in again.
        var back = await TgtDriverLiveTests.WaitForAsync(driver, t => t.Iqn == spec.TargetIqn && TargetDrift.Describe(spec, t).Count == 0);
        Assert.NotNull(back.FindLun(1));
        var read = await lab.Initiator.ReadLunAsync(spec.TargetIqn, 1, Who.Of(spec));
        Assert.True(read.AsSpan().SequenceEqual(content));
        Assert.NotEqual(0, (await lab.Initiator.InquireAsync(spec.TargetIqn, 1, Who.Of(spec) with { User = null, Secret = null })).ExitCode);

        await host.StopAsync(Ct);
        var left = (await LabProcess.MustAsync("ip", "netns", "pids", lab.Namespace)).StdoutText.Trim();
        Assert.Equal(string.Empty, left);
    }
}
