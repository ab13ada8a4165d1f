using System.Net;
using System.Net.Http.Json;
using BladeProvisioner.Testing;
using BladeProvisioner.Web.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Npgsql;

namespace BladeProvisioner.Web.Tests.Authorization;

/// <summary>
/// Access ends when the account changes: a deleted or demoted user's open session stops working at its next request,
/// a changed password ends the old sessions, API tokens expire, and failed sign-ins from one host never lock the
/// account out for its owner on another.
/// </summary>
public sealed class SessionTests(PostgresServer postgres)
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task ADeletedUsersOpenSessionStopsWorkingAtOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = new WebFactory(await postgres.CreateEmptyDatabaseAsync("sessdel"));
        using var admin = app.WithToken(app.AdminToken);
        var id = await CreateUserAsync(admin, "dora", "operator", ct);
        using var browser = app.Anonymous();
        using (var signedIn = await FormPost.SignInAsync(browser, "dora", Password, ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/blades", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/users/{id}", ct)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/blades", ct)).StatusCode);
        using var page = await browser.GetAsync("/blades", ct);
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Contains("/login", page.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADemotedAdminLosesAdminRightsAndARepasswordedUserIsSignedOut()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = new WebFactory(await postgres.CreateEmptyDatabaseAsync("sessdemote"));
        using var admin = app.WithToken(app.AdminToken);
        var id = await CreateUserAsync(admin, "ada", "admin", ct);
        using var browser = app.Anonymous();
        (await FormPost.SignInAsync(browser, "ada", Password, ct)).Dispose();
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/users", ct)).StatusCode);

        using (var demoted = await admin.PatchAsJsonAsync($"/api/users/{id}", new { role = "operator" }, ct))
        {
            Assert.Equal(HttpStatusCode.OK, demoted.StatusCode);
        }

        // The admin session is gone, not merely narrowed: signing in again gives the new role.
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/users", ct)).StatusCode);
        (await FormPost.SignInAsync(browser, "ada", Password, ct)).Dispose();
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/blades", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync("/api/users", ct)).StatusCode);

        // A new password ends the sessions made with the old one; the old password no longer signs in.
        using (var changed = await admin.PatchAsJsonAsync($"/api/users/{id}", new { password = "a brand new passphrase" }, ct))
        {
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/blades", ct)).StatusCode);
        using (var old = await FormPost.SignInAsync(browser, "ada", Password, ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        }

        using (var empty = await admin.PatchAsJsonAsync($"/api/users/{id}", new { }, ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        }

        using var missing = await admin.PatchAsJsonAsync("/api/users/999999", new { role = "operator" }, ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task ApiTokensExpireAndTheirLifetimeIsBounded()
    {
        var ct = TestContext.Current.CancellationToken;
        var cs = await postgres.CreateEmptyDatabaseAsync("tokexp");
        using var app = new WebFactory(cs);
        using var admin = app.WithToken(app.AdminToken);
        using var created = await admin.PostAsJsonAsync("/api/tokens", new { name = "ci-script", role = "operator", expiresInDays = 7 }, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var token = (await created.Content.ReadFromJsonAsync<CreatedToken>(JsonDefaults.Options, ct))!;
        Assert.InRange(token.ExpiresAt, DateTimeOffset.UtcNow.AddDays(6.9), DateTimeOffset.UtcNow.AddDays(7.1));
        using var script = app.WithToken(token.Token);
        Assert.Equal(HttpStatusCode.OK, (await script.GetAsync("/api/blades", ct)).StatusCode);

        // Time passes (the row's expiry is moved into the past): the token is refused.
        await using (var conn = new NpgsqlConnection(cs))
        {
            await conn.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand("UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE id = $1", conn);
            cmd.Parameters.Add(new NpgsqlParameter { Value = token.Id });
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync(ct));
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await script.GetAsync("/api/blades", ct)).StatusCode);
        foreach (var days in new[] { 0, 366 })
        {
            using var refused = await admin.PostAsJsonAsync("/api/tokens", new { name = "too-long", role = "operator", expiresInDays = days }, ct);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }
    }

    [Fact]
    public async Task FailedSignInsFromOneHostDoNotLockTheOwnerOutOnAnother()
    {
        var ct = TestContext.Current.CancellationToken;
        using var app = new WebFactory(await postgres.CreateEmptyDatabaseAsync("throttle"));
        using (var admin = app.WithToken(app.AdminToken))
        {
            await CreateUserAsync(admin, "olga", "admin", ct);
        }

        using var attacker = From(app, "10.99.0.66");
        var last = HttpStatusCode.OK;
        for (var i = 0; i < 8; i++)
        {
            using var r = await FormPost.SignInAsync(attacker, "olga", "guess-" + i, ct);
            last = r.StatusCode;
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, last);
        using (var stillLocked = await FormPost.SignInAsync(attacker, "olga", Password, ct))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, stillLocked.StatusCode);
        }

        using var owner = From(app, "10.99.0.10");
        using var ok = await FormPost.SignInAsync(owner, "olga", Password, ct);
        Assert.Equal(HttpStatusCode.Redirect, ok.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/api/users", ct)).StatusCode);
    }

    /// <summary>A cookie-keeping client whose requests arrive from <paramref name="address"/>.</summary>
    private static HttpClient From(WebFactory app, string address)
    {
        var handler = new CookieContainerHandler { InnerHandler = app.Server.CreateHandler(c => c.Connection.RemoteIpAddress = IPAddress.Parse(address)) };
        return new HttpClient(handler) { BaseAddress = WebFactory.BaseUri };
    }

    private static async Task<long> CreateUserAsync(HttpClient admin, string name, string role, CancellationToken ct)
    {
        using var created = await admin.PostAsJsonAsync("/api/users", new { name, role, password = Password }, ct);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(ct));
        return (await created.Content.ReadFromJsonAsync<CreatedUser>(JsonDefaults.Options, ct))!.Id;
    }

    private sealed record CreatedUser(long Id, string Name, string Role);

    private sealed record CreatedToken(long Id, string Name, string Role, string Token, DateTimeOffset ExpiresAt);
}
