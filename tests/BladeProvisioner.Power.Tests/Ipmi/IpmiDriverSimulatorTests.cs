using BladeProvisioner.Power.Ipmi;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Power.Tests.Ipmi;

/// <summary>The IPMI driver against a real BMC: OpenIPMI's ipmi_sim over RMCP+ (lanplus) on loopback.</summary>
public sealed class IpmiDriverSimulatorTests
{
    private const string User = "bpadmin";
    private const string Password = "Zq8-ipmi-Secret";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IpmiDriver Driver(RecordingRunner runner, int retries = 2) => new(
        runner,
        // ipmi_sim does not answer Get Channel Cipher Suites: name suite 3 or each call waits out the retries.
        Options.Create(new PowerOptions { IpmiRetries = retries, IpmiCipherSuite = 3, IpmiTimeout = TimeSpan.FromSeconds(30) }),
        NullLogger<IpmiDriver>.Instance);

    private static PowerTarget Target(IpmiSimulator sim, string? password = null, string? user = null) =>
        new(42, sim.Address, user ?? sim.Username, password ?? sim.Password);

    [Fact]
    public async Task RestartSetsPxeBootThenResetsAPoweredOnBlade()
    {
        await using var sim = await IpmiSimulator.StartAsync(User, Password, poweredOn: true, Ct);
        var runner = RecordingRunner.Real();

        var result = await Driver(runner).RestartAsync(Target(sim), RestartOptions.Default, Ct);

        Assert.Equal("reset", result.Action);
        Assert.True(result.BootOverrideSet);
        Assert.Equal(["boot pxe", "reset 1"], sim.Events);
        var status = await Driver(runner).GetStatusAsync(Target(sim), Ct);
        Assert.Equal(new PowerStatus(PowerState.On, "Force PXE"), status);
    }

    [Fact]
    public async Task RestartPowersOnABladeThatIsOff()
    {
        await using var sim = await IpmiSimulator.StartAsync(User, Password, poweredOn: false, Ct);

        var result = await Driver(RecordingRunner.Real()).RestartAsync(Target(sim), RestartOptions.Default, Ct);

        Assert.Equal("on", result.Action);
        Assert.Equal(["boot pxe", "power 1"], sim.Events);
        Assert.Equal("1", sim.ChassisPower);
    }

    [Fact]
    public async Task CycleMethodPowersTheBladeOff()
    {
        await using var sim = await IpmiSimulator.StartAsync(User, Password, poweredOn: true, Ct);

        var result = await Driver(RecordingRunner.Real()).RestartAsync(Target(sim), new RestartOptions(BootOnceFromPxe: false, RestartMethod.Cycle), Ct);

        Assert.Equal("cycle", result.Action);
        Assert.False(result.BootOverrideSet);
        // ipmi_sim turns power off at once and back on after its power-cycle interval.
        Assert.Equal("power 0", sim.Events[0]);
        Assert.DoesNotContain("boot pxe", sim.Events);
    }

    [Fact]
    public async Task PowerOffTurnsARunningBladeOffAndIsANoOpWhenItIsOff()
    {
        await using var sim = await IpmiSimulator.StartAsync(User, Password, poweredOn: true, Ct);
        var driver = Driver(RecordingRunner.Real());

        var result = await driver.PowerOffAsync(Target(sim), Ct);

        Assert.Equal("off", result.Action);
        Assert.Equal(["power 0"], sim.Events);
        Assert.Equal("0", sim.ChassisPower);
        Assert.Equal(PowerState.Off, (await driver.GetStatusAsync(Target(sim), Ct)).State);
        var again = await driver.PowerOffAsync(Target(sim), Ct);
        Assert.Equal("none", again.Action);
        Assert.Equal(["power 0"], sim.Events);
    }

    [Fact]
    public async Task PasswordTravelsInTheEnvironmentNeverOnTheCommandLine()
    {
        await using var sim = await IpmiSimulator.StartAsync(User, Password, poweredOn: true, Ct);
        var runner = RecordingRunner.Real();

        await Driver(runner).RestartAsync(Target(sim), RestartOptions.Default, Ct);

        Assert.Equal(3, runner.Calls.Count);
        Assert.All(runner.Calls, spec =>
        {
            Assert.DoesNotContain(spec.Arguments, a => a.Contains(Password, StringComparison.Ordinal));
            Assert.Contains("-E", spec.Arguments);
            Assert.Equal(Password, spec.Environment!["IPMI_PASSWORD"]);
            Assert.DoesNotContain(Password, spec.Display(), StringComparison.Ordinal);
            Assert.DoesNotContain(User, spec.Display(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task WrongPasswordIsAuthFailed()
    {
        await using var sim = await IpmiSimulator.StartAsync(User, Password, poweredOn: true, Ct);

        var ex = await Assert.ThrowsAsync<PowerException>(() =>
            Driver(RecordingRunner.Real()).RestartAsync(Target(sim, password: "not-the-password"), RestartOptions.Default, Ct));

        Assert.Equal(PowerErrorCodes.AuthFailed, ex.Code);
        Assert.Empty(sim.Events);
        Assert.DoesNotContain("not-the-password", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownUserIsAuthFailed()
    {
        await using var sim = await IpmiSimulator.StartAsync(User, Password, poweredOn: true, Ct);

        var ex = await Assert.ThrowsAsync<PowerException>(() =>
            Driver(RecordingRunner.Real()).RestartAsync(Target(sim, user: "nobody"), RestartOptions.Default, Ct));

        Assert.Equal(PowerErrorCodes.AuthFailed, ex.Code);
    }

    [Fact]
    public async Task SilentPortIsUnreachable()
    {
        Prerequisites.RequireTools("ipmitool", "ipmitool");
        // The simulator is started and stopped to learn a port on which nothing answers.
        string address;
        await using (var sim = await IpmiSimulator.StartAsync(User, Password, poweredOn: true, Ct))
        {
            address = sim.Address;
        }

        var ex = await Assert.ThrowsAsync<PowerException>(() =>
            Driver(RecordingRunner.Real(), retries: 1).RestartAsync(new PowerTarget(42, address, User, Password), RestartOptions.Default, Ct));

        Assert.Equal(PowerErrorCodes.Unreachable, ex.Code);
    }
}
