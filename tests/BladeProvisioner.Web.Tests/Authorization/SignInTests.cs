using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using BladeProvisioner.Testing;
using BladeProvisioner.Web.Tests.Support;

namespace BladeProvisioner.Web.Tests.Authorization;

/// <summary>Password sign-in as a browser does it (form + antiforgery token): success, refusal, and the lock-out.</summary>
public sealed partial class SignInTests(PostgresServer postgres)
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"(?<t>[^\"]+)\"|value=\"(?<t>[^\"]+)\"[^>]*name=\"__RequestVerificationToken\"")]
    private static partial Regex Antiforgery();

    [Fact]
    public async Task RightPasswordSignsInWrongOnesAreRefusedThenThrottledEvenForTheRightOne()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = new WebFactory(await postgres.CreateEmptyDatabaseAsync("signin"));
        using (var admin = app.WithToken(app.AdminToken))
        {
            using var created = await admin.PostAsJsonAsync("/api/users", new { name = "olga", role = "operator", password = "correct horse battery" }, ct);
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(ct));
        }

        // The right password: a cookie that opens the API.
        using (var browser = app.Anonymous())
        {
            using var ok = await SignInAsync(browser, "olga", "correct horse battery", ct);
            Assert.Equal(HttpStatusCode.Redirect, ok.StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/blades", ct)).StatusCode);
        }

        // Wrong passwords: refused, then throttled — and while throttled, even the right password is refused.
        using var attacker = app.Anonymous();
        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 6; i++)
        {
            using var r = await SignInAsync(attacker, "olga", "guess-" + i, ct);
            statuses.Add(r.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, statuses[0]);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        using var locked = await SignInAsync(attacker, "olga", "correct horse battery", ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.True(locked.Headers.RetryAfter is not null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await attacker.GetAsync("/api/blades", ct)).StatusCode);
    }

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string name, string password, CancellationToken ct)
    {
        var page = await client.GetStringAsync("/login", ct);
        var token = Antiforgery().Match(page).Groups["t"].Value;
        Assert.False(string.IsNullOrEmpty(token), "the sign-in form carries an antiforgery token");
        return await client.PostAsync(
            "/login",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = name, ["password"] = password, ["returnUrl"] = "/", ["__RequestVerificationToken"] = token }),
            ct);
    }
}
