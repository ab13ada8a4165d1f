using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using BladeProvisioner.Testing;
using BladeProvisioner.Web.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace BladeProvisioner.Web.Tests.Authorization;

/// <summary>Every API endpoint refuses anonymous callers; roles decide the rest; blades and monitoring stay open.</summary>
public sealed class EndpointAuthorizationTests(PostgresServer postgres)
{
    [Fact]
    public async Task EveryApiEndpointRefusesAnonymousCallersWith401ProblemDetails()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await StartAsync();
        using var anonymous = app.Anonymous();
        var endpoints = ApiEndpoints(app).ToList();
        Assert.True(endpoints.Count >= 30, $"expected the whole API, found {endpoints.Count} endpoints");
        var failures = new List<string>();
        foreach (var (method, path) in endpoints)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is "POST" or "PATCH" or "PUT")
            {
                request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            }

            using var response = await anonymous.SendAsync(request, ct);
            if (response.StatusCode != HttpStatusCode.Unauthorized)
            {
                failures.Add($"{method} {path} → {(int)response.StatusCode}");
                continue;
            }

            if (method != "HEAD" && await CodeAsync(response, ct) != "AUTH_REQUIRED")
            {
                failures.Add($"{method} {path} → 401 without code AUTH_REQUIRED");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task BladesAndMonitoringStayReachableWithoutSigningIn()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await StartAsync();
        using var anonymous = app.Anonymous();
        foreach (var path in new[] { "/health/live", "/health/ready", "/metrics" })
        {
            using var response = await anonymous.GetAsync(path, ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} → {(int)response.StatusCode}\n{app.Log.Read()}");
        }

        var boot = await anonymous.GetAsync("/boot/ipxe", ct);
        Assert.True(boot.StatusCode == HttpStatusCode.OK, $"/boot/ipxe → {(int)boot.StatusCode}\n{app.Log.Read()}");
        Assert.StartsWith("#!ipxe", await boot.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/openapi/v1.json", ct)).StatusCode);

        // cloud-init's phone-home from a blade's OS cannot sign in: its token is the credential, so an unknown one is the
        // endpoint's own 404 (refused and counted), not the sign-in gate's 401.
        using var form = new FormUrlEncodedContent([new("instance_id", "i-0123456789abcdef")]);
        using var phoneHome = await anonymous.PostAsync("/cloud-init/phone-home/" + new string('a', 64), form, ct);
        Assert.True(phoneHome.StatusCode == HttpStatusCode.NotFound, $"phone-home → {(int)phoneHome.StatusCode}");
        var metrics = await Eventually.UntilAsync(
            () => anonymous.GetStringAsync("/metrics", ct), m => m.Contains("bp_cloudinit_phone_home_refused_total", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Contains("bp_cloudinit_phone_home_refused_total", metrics, StringComparison.Ordinal);
    }

    /// <summary>Routing ignores the case of /api, so the API's answers do too: 401 ProblemDetails, not the login page.</summary>
    [Theory]
    [InlineData("/API/blades")]
    [InlineData("/Api/images")]
    [InlineData("/aPi/jobs")]
    [InlineData("/OPENAPI/v1.json")]
    public async Task ApiPathsInAnyCaseAnswerAnonymousCallersWith401ProblemDetails(string path)
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await StartAsync();
        using var anonymous = app.Anonymous();

        using var response = await anonymous.GetAsync(path, ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("AUTH_REQUIRED", await CodeAsync(response, ct));
    }

    [Fact]
    public async Task UiPagesRedirectAnonymousBrowsersToTheLoginPage()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await StartAsync();
        using var anonymous = app.Anonymous();
        foreach (var page in (string[])["/", "/images", "/blades", "/jobs", "/users", "/images/1", "/blades/1"])
        {
            using var response = await anonymous.GetAsync(page, ct);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/login", response.Headers.Location!.PathAndQuery, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/login", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/assets/site.css", ct)).StatusCode);
    }

    [Fact]
    public async Task AWrongOrRevokedTokenIsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await StartAsync();
        using var wrong = app.WithToken("not-a-token-" + Guid.NewGuid());
        using var response = await wrong.GetAsync("/api/blades", ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("AUTH_REQUIRED", await CodeAsync(response, ct));

        var token = await app.TokenAsync("operator", ct);
        using var op = app.WithToken(token);
        Assert.Equal(HttpStatusCode.OK, (await op.GetAsync("/api/blades", ct)).StatusCode);
        using var admin = app.WithToken(app.AdminToken);
        var tokens = await admin.GetFromJsonAsync<List<JsonElement>>("/api/tokens", ct);
        var id = tokens!.Single(t => t.GetProperty("name").GetString() == "operator-test").GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/tokens/{id}", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await op.GetAsync("/api/blades", ct)).StatusCode);
    }

    [Fact]
    public async Task OperatorReadsProvisionsRestartsAndDecommissionsButCannotChangeImagesOrUsers()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = await StartAsync();
        using var op = app.WithToken(await app.TokenAsync("operator", ct));

        // Forbidden: image delete/import/state, uploads, users and tokens, blade registration.
        (string Method, string Path)[] forbidden =
        [
            ("DELETE", "/api/images/1"), ("POST", "/api/images/import"), ("POST", "/api/images/1/pause"), ("POST", "/api/images/1/retire"),
            ("POST", "/api/uploads"), ("PATCH", "/api/uploads/0123456789abcdef01234567"), ("POST", "/api/uploads/0123456789abcdef01234567/complete"),
            ("GET", "/api/users"), ("POST", "/api/users"), ("DELETE", "/api/users/1"), ("GET", "/api/tokens"), ("POST", "/api/tokens"),
            ("POST", "/api/blades"), ("PATCH", "/api/blades/1"), ("DELETE", "/api/blades/1"), ("POST", "/api/jobs/1/cancel"),
            ("POST", "/api/zero-touch"), ("DELETE", "/api/zero-touch/1"),
        ];
        foreach (var (method, path) in forbidden)
        {
            using var response = await SendAsync(op, method, path, ct);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path} → {(int)response.StatusCode}");
            Assert.Equal("FORBIDDEN", await CodeAsync(response, ct));
        }

        // Allowed: the request reaches the endpoint (which then answers on its merits: no such blade).
        foreach (var action in (string[])["provision", "restart", "decommission"])
        {
            using var response = await SendAsync(op, "POST", $"/api/blades/999999/{action}", ct, action == "provision" ? """{"imageId":1}""" : "{}");
            Assert.True(response.StatusCode is not (HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized), $"{action} → {(int)response.StatusCode}");
        }

        foreach (var path in (string[])["/api/blades", "/api/images", "/api/jobs", "/api/events", "/api/volumes", "/api/sessions", "/api/dhcp/leases", "/api/zero-touch"])
        {
            using var response = await op.GetAsync(path, ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} → {(int)response.StatusCode}");
        }
    }

    private static IEnumerable<(string Method, string Path)> ApiEndpoints(WebFactory app)
    {
        var sources = app.Services.GetRequiredService<EndpointDataSource>();
        foreach (var endpoint in sources.Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = endpoint.RoutePattern.RawText ?? "";
            if (!pattern.TrimStart('/').StartsWith("api/", StringComparison.Ordinal))
            {
                continue;
            }

            var path = "/" + string.Join('/', pattern.TrimStart('/').Split('/').Select(s => s.StartsWith('{')
                ? (s.Contains(":long", StringComparison.Ordinal) || s.Contains(":int", StringComparison.Ordinal) ? "1" : "0123456789abcdef01234567")
                : s));
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                yield return (method, path);
            }
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path, CancellationToken ct, string body = "{}")
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PATCH")
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return await client.SendAsync(request, ct);
    }

    private static async Task<string?> CodeAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        return json.TryGetProperty("code", out var code) ? code.GetString() : null;
    }

    private async Task<WebFactory> StartAsync()
    {
        var app = new WebFactory(await postgres.CreateEmptyDatabaseAsync("auth"));
        await app.Services.WaitReadyAsync(TestContext.Current.CancellationToken);
        return app;
    }
}
