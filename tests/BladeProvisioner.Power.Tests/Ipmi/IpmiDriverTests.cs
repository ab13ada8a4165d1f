using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Power.Ipmi;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Power.Tests.Ipmi;

/// <summary>The IPMI driver's logic against scripted ipmitool answers (outputs recorded from ipmitool 1.8.19).</summary>
public sealed class IpmiDriverTests
{
    private static readonly PowerTarget Target = new(9, "10.99.3.9", "admin", "pw-never-shown");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IpmiDriver Driver(IProcessRunner runner, PowerOptions? options = null) =>
        new(runner, Options.Create(options ?? new PowerOptions()), NullLogger<IpmiDriver>.Instance);

    private static ProcessResult Ok(string stdout) => new(0, stdout, "Loading IANA PEN Registry...\n", TimeSpan.Zero);

    private static ProcessResult Fail(string stderr) => new(1, string.Empty, stderr, TimeSpan.Zero);

    [Fact]
    public async Task CommandLineIsLanplusWithPasswordFromTheEnvironment()
    {
        var runner = RecordingRunner.Scripted(_ => Ok("Chassis Power is on\n"));

        await Driver(runner, new PowerOptions { IpmiRetries = 2, IpmiCipherSuite = 17 }).RestartAsync(Target with { BmcAddress = "[fd99::9]:6230" }, RestartOptions.Default with { Uefi = true }, Ct);

        Assert.Equal(
            ["-I", "lanplus", "-H", "fd99::9", "-p", "6230", "-U", "admin", "-E", "-L", "ADMINISTRATOR", "-N", "1", "-R", "2", "-v", "-C", "17", "chassis", "bootdev", "pxe", "options=efiboot"],
            runner.Calls[1].Arguments);
        Assert.Equal("ipmitool", runner.Calls[1].FileName);
        Assert.Equal(new Dictionary<string, string> { ["IPMI_PASSWORD"] = "pw-never-shown" }, runner.Calls[1].Environment);
        Assert.Equal(["power", "status"], runner.Calls[0].Arguments.TakeLast(2));
        Assert.Equal(["power", "reset"], runner.Calls[2].Arguments.TakeLast(2));
    }

    [Fact]
    public async Task DefaultPortIs623()
    {
        var runner = RecordingRunner.Scripted(_ => Ok("Chassis Power is off\n"));

        var result = await Driver(runner).RestartAsync(Target, RestartOptions.Default, Ct);

        Assert.Equal("623", runner.Calls[0].Arguments[5]);
        Assert.Equal("on", result.Action);
    }

    [Fact]
    public async Task RejectedBootDeviceStopsBeforeTheReset()
    {
        var runner = RecordingRunner.Scripted(tail => tail.StartsWith("chassis", StringComparison.Ordinal)
            ? Fail("Set Chassis Boot Parameter 5 failed: Invalid data field in request\n")
            : Ok("Chassis Power is on\n"));

        var ex = await Assert.ThrowsAsync<PowerException>(() => Driver(runner).RestartAsync(Target, RestartOptions.Default, Ct));

        Assert.Equal(PowerErrorCodes.CommandFailed, ex.Code);
        Assert.Contains("boot device", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, runner.Calls.Count);
    }

    [Fact]
    public async Task TimeoutIsBmcTimeout()
    {
        var runner = new RecordingRunner((spec, _) => throw new ProcessFailedException(spec.Display(), null, string.Empty, timedOut: true));

        var ex = await Assert.ThrowsAsync<PowerException>(() => Driver(runner).RestartAsync(Target, RestartOptions.Default, Ct));

        Assert.Equal(PowerErrorCodes.Timeout, ex.Code);
    }

    [Fact]
    public async Task MissingIpmitoolIsToolMissing()
    {
        var runner = RecordingRunner.Real();

        var ex = await Assert.ThrowsAsync<PowerException>(() =>
            Driver(runner, new PowerOptions { IpmiToolPath = "/nonexistent/bp-ipmitool" }).RestartAsync(Target, RestartOptions.Default, Ct));

        Assert.Equal(PowerErrorCodes.ToolMissing, ex.Code);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("https://bmc")]
    [InlineData("bmc:99999")]
    public async Task UnusableAddressIsNotConfigured(string? address)
    {
        var runner = RecordingRunner.Scripted(_ => Ok("Chassis Power is on\n"));

        var ex = await Assert.ThrowsAsync<PowerException>(() => Driver(runner).RestartAsync(Target with { BmcAddress = address }, RestartOptions.Default, Ct));

        Assert.Equal(PowerErrorCodes.NotConfigured, ex.Code);
        Assert.Empty(runner.Calls);
    }

    // Outputs as ipmitool 1.8.19 -v printed them against ipmi_sim and silent ports.
    [Theory]
    [InlineData("Loading IANA PEN Registry...\nUnable to Get Channel Cipher Suites\n> RAKP 2 HMAC is invalid\nError: Unable to establish IPMI v2 / RMCP+ session\n", PowerErrorCodes.AuthFailed)]
    [InlineData("Loading IANA PEN Registry...\nRAKP 2 message indicates an error : unauthorized name\nError: Unable to establish IPMI v2 / RMCP+ session\n", PowerErrorCodes.AuthFailed)]
    [InlineData("Loading IANA PEN Registry...\nGet Auth Capabilities error\nError issuing Get Channel Authentication Capabilities request\nError: Unable to establish IPMI v2 / RMCP+ session\n", PowerErrorCodes.Unreachable)]
    [InlineData("Address lookup for nonexistent.invalid failed\nCould not open socket!\nError: Unable to establish IPMI v2 / RMCP+ session\n", PowerErrorCodes.Unreachable)]
    [InlineData("Error: Unable to establish IPMI v2 / RMCP+ session\n", PowerErrorCodes.Unreachable)]
    [InlineData("Get HPM.x Capabilities request failed, compcode = d4\nSet Chassis Power Control to Reset failed: Insufficient privilege level\n", PowerErrorCodes.PermissionDenied)]
    [InlineData("Set Chassis Power Control to Reset failed: Invalid data field in request\n", PowerErrorCodes.CommandFailed)]
    [InlineData("Unable to read password from environment\nPassword: Error: Unable to establish IPMI v2 / RMCP+ session\n", PowerErrorCodes.NotConfigured)]
    [InlineData("something nobody has seen\n", PowerErrorCodes.CommandFailed)]
    public void IpmitoolOutputMapsToAStableCode(string output, string code)
    {
        var ex = IpmiErrors.Classify("power reset", output);

        Assert.Equal(code, ex.Code);
        Assert.StartsWith("IPMI power reset failed: ", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Chassis Power is on\n", PowerState.On)]
    [InlineData("Chassis Power is off\n", PowerState.Off)]
    [InlineData("Chassis Power Control: Reset\n", PowerState.Unknown)]
    public void PowerStateIsParsed(string stdout, PowerState state) => Assert.Equal(state, IpmiDriver.ParsePowerState(stdout));

    [Fact]
    public void BootDeviceIsParsed()
    {
        const string Stdout = "Boot parameter version: 1\nBoot parameter 5 is valid/unlocked\nBoot parameter data: 0004000000\n Boot Flags :\n   - Boot Flag Invalid\n   - Options apply to only next boot\n   - BIOS PC Compatible (legacy) boot \n   - Boot Device Selector : Force PXE\n   - BIOS verbosity : System Default\n";
        Assert.Equal("Force PXE", IpmiDriver.ParseBootDevice(Stdout));
        Assert.Null(IpmiDriver.ParseBootDevice("Boot parameter version: 1\n"));
    }
}
