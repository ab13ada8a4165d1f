using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using BladeProvisioner.Testing;
using BladeProvisioner.Web.Tests.Support;

namespace BladeProvisioner.Web.Tests.Authorization;

/// <summary>
/// The two ways to the first account on a new appliance: the one-time token the appliance prints at start, entered at
/// <c>/setup</c>, and the <c>users add</c> command run on the appliance's host.
/// </summary>
public sealed partial class FirstAdminTests(PostgresServer postgres)
{
    private const string Password = "first admin secret";

    [GeneratedRegex("setup token to create the first admin: (?<t>[0-9a-f]{32})")]
    private static partial Regex SetupTokenLine();

    [Fact]
    public async Task SetupPageCreatesTheFirstAdminOnceWithThePrintedToken()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("bp-setup");
        await using var appliance = new ApplianceProcess(dir.Path, await postgres.CreateEmptyDatabaseAsync("setup"), "--Appliance:NodeName", "setup-test");
        await appliance.StartAsync();
        var printed = SetupTokenLine().Match(appliance.FullLog());
        Assert.True(printed.Success, "a new appliance prints its one-time setup token at start");
        var token = printed.Groups["t"].Value;
        using var browser = appliance.ManagementClient(allowAutoRedirect: false, TimeSpan.FromSeconds(60));

        // A wrong token and a short password are refused, and neither spends the token nor creates anyone.
        using (var wrong = await SetupAsync(browser, new string('0', 32), "root", Password, ct))
        {
            Assert.Contains("That is not the setup token.", await wrong.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }

        using (var weak = await SetupAsync(browser, token, "root", "short", ct))
        {
            Assert.Equal(HttpStatusCode.OK, weak.StatusCode);
            Assert.Contains("A password has at least 10 characters.", await weak.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }

        Assert.Empty(await UsersAsync(appliance, ct));

        // The right token: the admin exists, is an admin, and signs in.
        using (var created = await SetupAsync(browser, token, "root", Password, ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
            Assert.Equal("/login", created.Headers.Location?.OriginalString);
        }

        var users = await UsersAsync(appliance, ct);
        Assert.Equal(("root", "admin"), Assert.Single(users));
        using (var signedIn = await FormPost.SignInAsync(browser, "root", Password, ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/users", ct)).StatusCode);

        // Spent: the page says setup is finished, and a post with the same token (a form kept open elsewhere) is refused.
        using var anotherBrowser = appliance.ManagementClient(allowAutoRedirect: false, TimeSpan.FromSeconds(60));
        Assert.Contains("Setup is finished", await anotherBrowser.GetStringAsync("/setup", ct), StringComparison.Ordinal);
        var fields = new Dictionary<string, string> { ["token"] = token, ["name"] = "mallory", ["password"] = Password };
        using (var again = await FormPost.SubmitAsync(anotherBrowser, "/setup", fields, ct, formPage: "/login"))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Contains("That is not the setup token.", await again.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }

        Assert.Single(await UsersAsync(appliance, ct));
    }

    [Fact]
    public async Task UsersAddCommandCreatesAnAccountThatSignsIn()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = await postgres.CreateEmptyDatabaseAsync("usersadd");

        // On a database nobody has migrated yet: the command migrates it and creates the account.
        var created = await UsersCommandAsync(database, ["users", "add", "--name", "carol", "--role", "operator"], Password, ct);
        Assert.Equal(0, created.ExitCode);
        Assert.Contains("Created operator carol", created.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, created.Output, StringComparison.Ordinal);

        // Refusals change nothing and say why.
        var duplicate = await UsersCommandAsync(database, ["users", "add", "--name", "carol", "--role", "admin"], "another long password", ct);
        Assert.Equal(1, duplicate.ExitCode);
        Assert.Contains("already exists", duplicate.Output, StringComparison.Ordinal);
        var badRole = await UsersCommandAsync(database, ["users", "add", "--name", "dave", "--role", "root"], Password, ct);
        Assert.Equal(2, badRole.ExitCode);
        var shortPassword = await UsersCommandAsync(database, ["users", "add", "--name", "erin", "--role", "admin"], "short", ct);
        Assert.Equal(2, shortPassword.ExitCode);
        var usage = await UsersCommandAsync(database, ["users", "add", "--name", "frank"], Password, ct);
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("usage:", usage.Output, StringComparison.Ordinal);

        // The appliance on that database knows carol, with her password and role, and nobody else.
        using var app = new WebFactory(database);
        using (var admin = app.WithToken(app.AdminToken))
        {
            var users = await admin.GetFromJsonAsync<JsonElement>("/api/users", ct);
            var only = Assert.Single(users.EnumerateArray());
            Assert.Equal("carol", only.GetProperty("name").GetString());
            Assert.Equal("operator", only.GetProperty("role").GetString());
        }

        using var browser = app.Anonymous();
        using (var signedIn = await FormPost.SignInAsync(browser, "carol", Password, ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/blades", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync("/api/users", ct)).StatusCode);

        // The console's way in: `users passwd` sets a new password from standard input and ends carol's open session
        // on the running appliance at once; the old password no longer signs in, the new one does.
        const string NewPassword = "a brand new long passphrase";
        var changed = await UsersCommandAsync(database, ["users", "passwd", "--name", "carol"], NewPassword, ct);
        Assert.Equal(0, changed.ExitCode);
        Assert.Contains("sessions are ended", changed.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(NewPassword, changed.Output, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/blades", ct)).StatusCode);
        using (var old = app.Anonymous())
        using (var refused = await FormPost.SignInAsync(old, "carol", Password, ct))
        {
            Assert.NotEqual(HttpStatusCode.Redirect, refused.StatusCode);
        }

        using (var fresh = app.Anonymous())
        using (var signedIn = await FormPost.SignInAsync(fresh, "carol", NewPassword, ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        }

        // An unknown account and a short password change nothing and say why.
        var unknown = await UsersCommandAsync(database, ["users", "passwd", "--name", "mallory"], NewPassword, ct);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("No user named mallory", unknown.Output, StringComparison.Ordinal);
        Assert.Equal(2, (await UsersCommandAsync(database, ["users", "passwd", "--name", "carol"], "short", ct)).ExitCode);
    }

    private static Task<HttpResponseMessage> SetupAsync(HttpClient browser, string token, string name, string password, CancellationToken ct) =>
        FormPost.SubmitAsync(browser, "/setup", new Dictionary<string, string> { ["token"] = token, ["name"] = name, ["password"] = password }, ct);

    private static async Task<List<(string Name, string Role)>> UsersAsync(ApplianceProcess appliance, CancellationToken ct)
    {
        var users = await appliance.Http.GetFromJsonAsync<JsonElement>("api/users", ct);
        return [.. users.EnumerateArray().Select(u => (u.GetProperty("name").GetString()!, u.GetProperty("role").GetString()!))];
    }

    /// <summary>Runs the built appliance with <paramref name="arguments"/>, the password on standard input.</summary>
    private static async Task<(int ExitCode, string Output)> UsersCommandAsync(string database, string[] arguments, string password, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(ApplianceProcess.AppliancePath());
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        psi.ArgumentList.Add("--ConnectionStrings:Appliance");
        psi.ArgumentList.Add(database);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(psi)!;
        await process.StandardInput.WriteLineAsync(password);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }
}
