using System.Net;
using System.Security.Authentication;
using System.Text;
using BladeProvisioner.Power.Redfish;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Power.Tests.Redfish;

public sealed class RedfishDriverTests
{
    private const string SystemPath = "/redfish/v1/Systems/System.Embedded.1";
    private const string ResetPath = SystemPath + "/Actions/ComputerSystem.Reset";
    private static readonly PowerTarget Target = new(17, "bmc-17.lab.example:8443", "operator", "s3cret-Pa55");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RedfishDriver Driver(FakeRedfishHandler handler, TimeSpan? timeout = null) =>
        new(
            new FakeHttpClientFactory(handler),
            Options.Create(new PowerOptions { RedfishTimeout = timeout ?? TimeSpan.FromSeconds(10) }),
            NullLogger<RedfishDriver>.Instance);

    private static FakeRedfishHandler HappyBmc() => new FakeRedfishHandler()
        .On("GET", "/redfish/v1/Systems", HttpStatusCode.OK, "systems-one.json")
        .On("GET", SystemPath, HttpStatusCode.OK, "system-on.json", etag: "\"1718-4\"")
        .On("PATCH", SystemPath, HttpStatusCode.NoContent)
        .On("POST", ResetPath, HttpStatusCode.NoContent);

    [Fact]
    public async Task RestartFindsTheSystemSetsPxeOnceThenForceRestarts()
    {
        var bmc = HappyBmc();

        var result = await Driver(bmc).RestartAsync(Target, RestartOptions.Default, Ct);

        Assert.Equal("ForceRestart", result.Action);
        Assert.True(result.BootOverrideSet);
        Assert.Equal(
            ["GET /redfish/v1/Systems", $"GET {SystemPath}", $"PATCH {SystemPath}", $"POST {ResetPath}"],
            bmc.Requests.Select(r => $"{r.Method} {r.Path}"));
        Assert.All(bmc.Requests, r => Assert.Equal("bmc-17.lab.example:8443", r.Authority));
        Assert.Equal("""{"Boot":{"BootSourceOverrideTarget":"Pxe","BootSourceOverrideEnabled":"Once"}}""", bmc.Requests[2].Body);
        Assert.Equal("W/\"1718-4\"", bmc.Requests[2].IfMatch);
        Assert.Equal("""{"ResetType":"ForceRestart"}""", bmc.Requests[3].Body);
    }

    [Fact]
    public async Task EveryRequestCarriesBasicAuthOverHttpsByDefault()
    {
        var bmc = HappyBmc();

        await Driver(bmc).RestartAsync(Target, RestartOptions.Default, Ct);

        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("operator:s3cret-Pa55"));
        Assert.All(bmc.Requests, r => Assert.Equal(expected, r.Authorization));
    }

    [Fact]
    public async Task UefiBladeAsksForUefiOverrideWhenTheBmcKnowsTheMode()
    {
        var bmc = HappyBmc();

        await Driver(bmc).RestartAsync(Target, RestartOptions.Default with { Uefi = true }, Ct);

        Assert.Equal(
            """{"Boot":{"BootSourceOverrideTarget":"Pxe","BootSourceOverrideEnabled":"Once","BootSourceOverrideMode":"UEFI"}}""",
            bmc.Requests[2].Body);
    }

    [Fact]
    public async Task BladeThatIsOffIsPoweredOnWithoutAllowableValues()
    {
        var bmc = new FakeRedfishHandler()
            .On("GET", "/redfish/v1/Systems/Blade3", HttpStatusCode.OK, "system-off-minimal.json")
            .On("PATCH", "/redfish/v1/Systems/Blade3", HttpStatusCode.OK)
            .On("POST", "/redfish/v1/Systems/Blade3/Actions/ComputerSystem.Reset", HttpStatusCode.Accepted);
        var target = Target with { BmcAddress = "https://chassis-1.lab.example/redfish/v1/Systems/Blade3" };

        var result = await Driver(bmc).RestartAsync(target, RestartOptions.Default, Ct);

        Assert.Equal("On", result.Action);
        Assert.DoesNotContain(bmc.Requests, r => r.Path == "/redfish/v1/Systems");
        Assert.Equal("""{"ResetType":"On"}""", bmc.Requests[^1].Body);
        Assert.Null(bmc.Requests[1].IfMatch);
    }

    [Theory]
    [InlineData(RestartMethod.Reset, "PowerCycle")]
    [InlineData(RestartMethod.Cycle, "PowerCycle")]
    public async Task ResetTypeComesFromTheAllowableValues(RestartMethod method, string expected)
    {
        var bmc = new FakeRedfishHandler()
            .On("GET", "/redfish/v1/Systems", HttpStatusCode.OK, "systems-one.json")
            .On("GET", SystemPath, HttpStatusCode.OK, "system-cycle-only.json")
            .On("PATCH", SystemPath, HttpStatusCode.NoContent)
            .On("POST", "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset", HttpStatusCode.NoContent);

        var result = await Driver(bmc).RestartAsync(Target, RestartOptions.Default with { Method = method }, Ct);

        Assert.Equal(expected, result.Action);
        Assert.Equal($$"""{"ResetType":"{{expected}}"}""", bmc.Requests[^1].Body);
    }

    [Theory]
    [InlineData(PowerState.On, RestartMethod.Reset, new[] { "On", "ForceOff", "ForceRestart", "PowerCycle" }, "ForceRestart")]
    [InlineData(PowerState.On, RestartMethod.Cycle, new[] { "On", "ForceOff", "ForceRestart", "PowerCycle" }, "PowerCycle")]
    [InlineData(PowerState.On, RestartMethod.Reset, new[] { "GracefulRestart", "On" }, "GracefulRestart")]
    [InlineData(PowerState.Off, RestartMethod.Reset, new[] { "ForceOn", "ForceOff" }, "ForceOn")]
    [InlineData(PowerState.Unknown, RestartMethod.Reset, new string[0], "ForceRestart")]
    [InlineData(PowerState.On, RestartMethod.Reset, new[] { "On", "ForceOff", "Nmi" }, null)]
    public void ResetTypeChoice(PowerState state, RestartMethod method, string[] allowable, string? expected) =>
        Assert.Equal(expected, RedfishResetTypes.Choose(state, method, allowable));

    [Fact]
    public async Task SeveralSystemsAndNoneNamedIsResourceNotFound()
    {
        var bmc = new FakeRedfishHandler().On("GET", "/redfish/v1/Systems", HttpStatusCode.OK, "systems-two.json");

        var ex = await Assert.ThrowsAsync<PowerException>(() => Driver(bmc).RestartAsync(Target, RestartOptions.Default, Ct));

        Assert.Equal(PowerErrorCodes.ResourceNotFound, ex.Code);
        Assert.Contains("/redfish/v1/Systems/Blade3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusedCredentialsAreAuthFailedAndTheMessageHoldsNoSecret()
    {
        var bmc = new FakeRedfishHandler().On("GET", "/redfish/v1/Systems", HttpStatusCode.Unauthorized, "error-unauthorized.json");

        var ex = await Assert.ThrowsAsync<PowerException>(() => Driver(bmc).RestartAsync(Target, RestartOptions.Default, Ct));

        Assert.Equal(PowerErrorCodes.AuthFailed, ex.Code);
        Assert.Contains("There is no valid session", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingResetActionIsResourceNotFound()
    {
        var bmc = HappyBmc();
        bmc.On("POST", ResetPath, HttpStatusCode.NotFound);

        var ex = await Assert.ThrowsAsync<PowerException>(() => Driver(bmc).RestartAsync(Target, RestartOptions.Default, Ct));

        Assert.Equal(PowerErrorCodes.ResourceNotFound, ex.Code);
        Assert.Contains($"POST {ResetPath}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerErrorIsCommandFailedWithTheBmcsWords()
    {
        var bmc = HappyBmc();
        bmc.On("PATCH", SystemPath, HttpStatusCode.InternalServerError, "error-internal.json");

        var ex = await Assert.ThrowsAsync<PowerException>(() => Driver(bmc).RestartAsync(Target, RestartOptions.Default, Ct));

        Assert.Equal(PowerErrorCodes.CommandFailed, ex.Code);
        Assert.Contains("HTTP 500", ex.Message, StringComparison.Ordinal);
        Assert.Contains("internal service error", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(bmc.Requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task BmcWithoutPxeOverrideIsUnsupportedAndNothingIsReset()
    {
        var bmc = HappyBmc();
        bmc.On("GET", SystemPath, HttpStatusCode.OK, "system-no-pxe.json");

        var ex = await Assert.ThrowsAsync<PowerException>(() => Driver(bmc).RestartAsync(Target, RestartOptions.Default, Ct));

        Assert.Equal(PowerErrorCodes.Unsupported, ex.Code);
        Assert.DoesNotContain(bmc.Requests, r => r.Method is "PATCH" or "POST");
    }

    [Fact]
    public async Task ConnectionFailureIsUnreachable()
    {
        var bmc = new FakeRedfishHandler().On("GET", "/redfish/v1/Systems", (_, _) =>
            throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (bmc-17.lab.example:8443)"));

        var ex = await Assert.ThrowsAsync<PowerException>(() => Driver(bmc).RestartAsync(Target, RestartOptions.Default, Ct));

        Assert.Equal(PowerErrorCodes.Unreachable, ex.Code);
    }

    [Fact]
    public async Task UntrustedCertificateIsItsOwnError()
    {
        var bmc = new FakeRedfishHandler().On("GET", "/redfish/v1/Systems", (_, _) =>
            throw new HttpRequestException(
                HttpRequestError.SecureConnectionError,
                "The SSL connection could not be established, see inner exception.",
                new AuthenticationException("The remote certificate was rejected by the provided RemoteCertificateValidationCallback.")));

        var ex = await Assert.ThrowsAsync<PowerException>(() => Driver(bmc).RestartAsync(Target, RestartOptions.Default, Ct));

        Assert.Equal(PowerErrorCodes.CertificateUntrusted, ex.Code);
    }

    [Fact]
    public async Task SilentBmcIsTimeoutAfterRedfishTimeout()
    {
        var bmc = new FakeRedfishHandler().On("GET", "/redfish/v1/Systems", async (_, token) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), token);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });

        var ex = await Assert.ThrowsAsync<PowerException>(() => Driver(bmc, TimeSpan.FromMilliseconds(200)).RestartAsync(Target, RestartOptions.Default, Ct));

        Assert.Equal(PowerErrorCodes.Timeout, ex.Code);
    }

    [Fact]
    public async Task StatusReportsPowerAndActiveOverride()
    {
        var bmc = new FakeRedfishHandler().On("GET", "/redfish/v1/Systems/1", HttpStatusCode.OK, "system-cycle-only.json");

        var status = await Driver(bmc).GetStatusAsync(Target with { BmcAddress = "https://10.99.0.5/redfish/v1/Systems/1" }, Ct);

        Assert.Equal(new PowerStatus(PowerState.On, "Pxe"), status);
    }

    [Theory]
    [InlineData(null, "operator", "pw")]
    [InlineData("bmc", null, "pw")]
    [InlineData("bmc", "operator", null)]
    [InlineData("ftp://bmc", "operator", "pw")]
    public async Task IncompleteTargetIsNotConfigured(string? address, string? user, string? password)
    {
        var bmc = HappyBmc();

        var ex = await Assert.ThrowsAsync<PowerException>(() => Driver(bmc).RestartAsync(new PowerTarget(3, address, user, password), RestartOptions.Default, Ct));

        Assert.Equal(PowerErrorCodes.NotConfigured, ex.Code);
        Assert.Empty(bmc.Requests);
    }
}
