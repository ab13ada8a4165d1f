using BladeProvisioner.Core.Model;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Power.Tests;

public sealed class PowerControlTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IHost Host(Dictionary<string, string?>? settings = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        builder.AddPower();
        return builder.Build();
    }

    [Fact]
    public async Task InBandRestartSaysTheScriptEndsWithReboot()
    {
        using var host = Host();
        var power = host.Services.GetRequiredService<PowerControl>();

        var result = await power.RestartAsync(PowerDriverKind.InBand, new PowerTarget(5, null, null, null), RestartOptions.Default, Ct);

        Assert.Equal(PowerDriverKind.InBand, result.Kind);
        Assert.Contains("reboot", result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PowerDriverKind.InBand)]
    [InlineData(PowerDriverKind.Ipmi)]
    [InlineData(PowerDriverKind.Redfish)]
    public void EveryDriverKindIsRegistered(PowerDriverKind kind)
    {
        using var host = Host();
        Assert.Equal(kind, host.Services.GetRequiredService<PowerControl>().Driver(kind).Kind);
    }

    [Fact]
    public async Task FailedRestartKeepsItsCode()
    {
        using var host = Host();
        var power = host.Services.GetRequiredService<PowerControl>();

        var ex = await Assert.ThrowsAsync<PowerException>(() =>
            power.RestartAsync(PowerDriverKind.Ipmi, new PowerTarget(5, null, "admin", "pw"), RestartOptions.Default, Ct));

        Assert.Equal(PowerErrorCodes.NotConfigured, ex.Code);
    }

    [Fact]
    public void OptionsBindFromThePowerSection()
    {
        using var host = Host(new() { ["Power:IpmiTimeout"] = "00:00:12", ["Power:IpmiCipherSuite"] = "3", ["Power:AllowInsecureBmcCertificates"] = "true" });

        var options = host.Services.GetRequiredService<IOptions<PowerOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(12), options.IpmiTimeout);
        Assert.Equal(3, options.IpmiCipherSuite);
        Assert.True(options.AllowInsecureBmcCertificates);
    }

    [Theory]
    [InlineData("Power:IpmiPrivilege", "USER")]
    [InlineData("Power:IpmiRetries", "50")]
    [InlineData("Power:RedfishTimeout", "00:00:00")]
    public void BadOptionsAreNamedAtStart(string key, string value)
    {
        using var host = Host(new() { [key] = value });

        var ex = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<PowerOptions>>().Value);

        Assert.Contains(key.Split(':')[1], ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TargetNeverPrintsItsPassword()
    {
        var text = new PowerTarget(5, "bmc", "admin", "hunter2-secret").ToString();

        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        Assert.Contains("Password = ***", text, StringComparison.Ordinal);
    }
}
