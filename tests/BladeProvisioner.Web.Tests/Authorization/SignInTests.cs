using System.Net;
using System.Net.Http.Json;
using BladeProvisioner.Testing;
using BladeProvisioner.Web.Tests.Support;

namespace BladeProvisioner.Web.Tests.Authorization;

/// <summary>Password sign-in as a browser does it (form + antiforgery token): success, refusal, and the lock-out.</summary>
public sealed class SignInTests(PostgresServer postgres)
{
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
            using var ok = await FormPost.SignInAsync(browser, "olga", "correct horse battery", ct);
            Assert.Equal(HttpStatusCode.Redirect, ok.StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/blades", ct)).StatusCode);
        }

        // Wrong passwords: refused, then throttled — and while throttled, even the right password is refused.
        using var attacker = app.Anonymous();
        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 6; i++)
        {
            using var r = await FormPost.SignInAsync(attacker, "olga", "guess-" + i, ct);
            statuses.Add(r.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, statuses[0]);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        using var locked = await FormPost.SignInAsync(attacker, "olga", "correct horse battery", ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.True(locked.Headers.RetryAfter is not null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await attacker.GetAsync("/api/blades", ct)).StatusCode);
    }
}
