using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using BladeProvisioner.Testing;
using BladeProvisioner.Web.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace BladeProvisioner.Web.Tests.Browser;

/// <summary>
/// The web UI in a real Chromium against the appliance as a real process. Set BP_SCREENSHOTS=1 to refresh the
/// screenshots in docs/screenshots.
/// </summary>
public sealed class BrowserTests(PostgresServer postgres)
{
    private const string AdminPassword = "correct horse battery";
    private const string OperatorPassword = "operator staple 42";

    [Fact]
    public async Task AdminSignsInUploadsPausesAssignsAndWatchesAJob()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("bp-ui");
        await using var appliance = new ApplianceProcess(dir.Path, await postgres.CreateEmptyDatabaseAsync("ui"),
            "--Appliance:NodeName", "ui-test", "--Storage:Images:ImportBytesPerSecondLimit", (4L << 20).ToString(CultureInfo.InvariantCulture));
        await appliance.StartAsync();
        await CreateUserAsync(appliance, "alice", "admin", AdminPassword, ct);
        await using var browser = await TestBrowser.LaunchAsync(appliance);
        var page = await browser.NewPageAsync(appliance.BaseAddress);
        try
        {
            // A wrong password is refused; the right one lands on the dashboard.
            await page.GotoAsync("/");
            await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login"));
            await SignInAsync(page, "alice", "wrong password!");
            await Expect(page.Locator("#login-error")).ToContainTextAsync("Wrong user name or password");
            await SignInAsync(page, "alice", AdminPassword);
            await Expect(page.Locator("h1")).ToHaveTextAsync("Dashboard");
            await Expect(page.Locator("#whoami")).ToContainTextAsync("alice");

            // Upload a small image; it becomes Active with the file's SHA-256.
            var file = WriteRandomFile(dir.Sub("src"), "tiny-os.raw", 3 << 20);
            await page.GotoAsync("/images");
            await page.FillAsync("#up-name", "tiny-os");
            await page.FillAsync("#up-os", "Tiny OS 1.0");
            await page.SelectOptionAsync("#up-mode", "Both");
            await page.SetInputFilesAsync("#up-file", file);
            await page.ClickAsync("#upload-start");
            await Expect(page.Locator("#image-state")).ToHaveTextAsync("Active", new() { Timeout = 90_000 });
            await Expect(page.Locator("#image-sha")).ToHaveTextAsync(Sha256(file));
            var imageId = long.Parse(page.Url.Split('/')[^1], CultureInfo.InvariantCulture);

            // A blade's menu offers it; paused, it vanishes from the menu.
            const string Mac = "52:54:00:aa:08:01";
            using (var created = await appliance.Http.PostAsJsonAsync("api/blades", new { bootMac = Mac, hostname = "rack1-blade1", chassis = "rack1", slot = "1" }, ct))
            {
                created.EnsureSuccessStatusCode();
            }

            Assert.Contains("tiny-os", await PreviewAsync(appliance, Mac, ct), StringComparison.Ordinal);
            await page.ClickAsync("#pause");
            await Expect(page.Locator("#image-state")).ToHaveTextAsync("Paused");
            Assert.DoesNotContain("tiny-os", await PreviewAsync(appliance, Mac, ct), StringComparison.Ordinal);
            await page.ClickAsync("#activate");
            await Expect(page.Locator("#image-state")).ToHaveTextAsync("Active");
            Assert.Contains("tiny-os", await PreviewAsync(appliance, Mac, ct), StringComparison.Ordinal);

            // Assign it to the blade from the blade page.
            var blades = await appliance.GetAsync<List<JsonElement>>("api/blades");
            var bladeId = blades.Single(b => b.GetProperty("bootMac").GetString() == Mac).GetProperty("id").GetInt64();
            await page.GotoAsync($"/blades/{bladeId}");
            await page.SelectOptionAsync("#assign", imageId.ToString(CultureInfo.InvariantCulture));
            await page.ClickAsync("#assign-button");
            await Expect(page.Locator("#assigned")).ToHaveTextAsync("tiny-os v1");
            await Expect(page.Locator("#mapping")).ToContainTextAsync(Mac);
            await Expect(page.Locator("#no-boot")).ToContainTextAsync("No boot of this blade on its timeline yet");

            // Mutual CHAP follows the appliance default (on) until the blade is given its own setting.
            await Expect(page.Locator("#mutual-chap-setting")).ToHaveTextAsync("appliance default (on)");
            await page.ClickAsync("#mutual-chap-off");
            await Expect(page.Locator("#mutual-chap-setting")).ToHaveTextAsync("off");
            Assert.False((await appliance.GetAsync<JsonElement>($"api/blades/{bladeId}")).GetProperty("mutualChap").GetBoolean());
            await page.ClickAsync("#mutual-chap-default");
            await Expect(page.Locator("#mutual-chap-setting")).ToHaveTextAsync("appliance default (on)");
            await ScreenshotAsync(page, "blade.png");

            // A zero-touch rule for a slot no blade has reported yet: added, listed, answered by the API, deleted.
            await page.GotoAsync("/blades");
            await page.FillAsync("#zt-chassis", "enc9");
            await page.FillAsync("#zt-slot", "2");
            await page.SelectOptionAsync("#zt-image", imageId.ToString(CultureInfo.InvariantCulture));
            await page.ClickAsync("#rule-add");
            var ruleRow = page.Locator("#rules tr[data-rule]");
            await Expect(ruleRow).ToContainTextAsync("chassis enc9 slot 2");
            await Expect(ruleRow).ToContainTextAsync("tiny-os v1");
            var rules = await appliance.GetAsync<List<JsonElement>>("api/zero-touch");
            Assert.Equal(imageId, Assert.Single(rules).GetProperty("imageId").GetInt64());
            await page.FillAsync("#zt-chassis", "enc9");
            await page.FillAsync("#zt-slot", "2");
            await page.ClickAsync("#rule-add");
            await Expect(page.Locator("#rule-form .error")).ToContainTextAsync("already covers");
            page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
            await page.ClickAsync("#rules .delete-rule");
            await Expect(page.Locator("#no-rules")).ToBeVisibleAsync();
            Assert.Empty(await appliance.GetAsync<List<JsonElement>>("api/zero-touch"));

            // A slower import: the progress bar on the jobs page moves while we watch.
            var big = WriteRandomFile(Path.Combine(dir.Path, "incoming"), "bigger-os.raw", 48 << 20);
            using (var import = await appliance.Http.PostAsJsonAsync("api/images/import", new { name = "bigger-os", operatingSystem = "Bigger OS 2", bootMode = "Uefi", path = big }, ct))
            {
                import.EnsureSuccessStatusCode();
            }

            await page.GotoAsync("/jobs");
            var row = page.Locator("#jobs tr[data-job]").First;
            await Expect(row.Locator(".state")).ToHaveTextAsync("Running", new() { Timeout = 30_000 });
            var first = await WidthAsync(row);
            await page.WaitForFunctionAsync(
                "w => { const s = document.querySelector('#jobs tr[data-job] .bar > span'); return parseFloat(s.style.width) > w + 5; }", first);
            Assert.True(await WidthAsync(row) > first, "the progress bar moved");
            await ScreenshotAsync(page, "job-in-progress.png");
            await Expect(row.Locator(".state")).ToHaveTextAsync("Succeeded", new() { Timeout = 60_000 });

            await page.GotoAsync("/images");
            await ScreenshotAsync(page, "images.png");
            await page.GotoAsync("/");
            await ScreenshotAsync(page, "dashboard.png");
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(dir.Path, "failure.png"), FullPage = true });
            TestContext.Current.TestOutputHelper?.WriteLine(appliance.Log());
            throw;
        }
    }

    [Fact]
    public async Task TheBladesPageShowsOnePageAtATimeWithNextAndPrevious()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("bp-ui-pages");
        await using var appliance = new ApplianceProcess(dir.Path, await postgres.CreateEmptyDatabaseAsync("ui_pages"), "--Appliance:NodeName", "ui-pages");
        await appliance.StartAsync();
        await CreateUserAsync(appliance, "alice", "admin", AdminPassword, ct);
        for (int i = 1; i <= 3; i++)
        {
            using var created = await appliance.Http.PostAsJsonAsync("api/blades", new { bootMac = $"52:54:00:aa:09:0{i}", chassis = "pg", slot = $"{i}" }, ct);
            created.EnsureSuccessStatusCode();
        }

        await using var browser = await TestBrowser.LaunchAsync(appliance);
        var page = await browser.NewPageAsync(appliance.BaseAddress);
        await page.GotoAsync("/login");
        await SignInAsync(page, "alice", AdminPassword);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Dashboard");
        await page.GotoAsync("/blades?limit=2");
        await Expect(page.Locator("#blades tr[data-blade]")).ToHaveCountAsync(2);
        await Expect(page.Locator("#blade-pages")).ToContainTextAsync("Blades 1–2 of 3");
        await Expect(page.Locator("#blades-prev")).ToHaveCountAsync(0);
        await page.ClickAsync("#blades-next");
        await Expect(page.Locator("#blades tr[data-blade]")).ToHaveCountAsync(1);
        await Expect(page.Locator("#blades")).ToContainTextAsync("52:54:00:aa:09:03");
        await Expect(page.Locator("#blades-next")).ToHaveCountAsync(0);
        await page.ClickAsync("#blades-prev");
        await Expect(page.Locator("#blades")).ToContainTextAsync("52:54:00:aa:09:01");
    }

    [Fact]
    public async Task OperatorCannotDeleteImagesAndAnonymousRequestsAreRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("bp-ui-op");
        await using var appliance = new ApplianceProcess(dir.Path, await postgres.CreateEmptyDatabaseAsync("uiop"), "--Appliance:NodeName", "ui-op");
        await appliance.StartAsync();
        await CreateUserAsync(appliance, "oscar", "operator", OperatorPassword, ct);
        var source = WriteRandomFile(Path.Combine(dir.Path, "incoming"), "op-os.raw", 1 << 20);
        using (var import = await appliance.Http.PostAsJsonAsync("api/images/import", new { name = "op-os", operatingSystem = "Op OS", bootMode = "Both", path = source }, ct))
        {
            import.EnsureSuccessStatusCode();
        }

        await using var browser = await TestBrowser.LaunchAsync(appliance);

        // Without signing in: the UI sends the browser to the login page and the API answers 401.
        var anonymous = await browser.NewPageAsync(appliance.BaseAddress);
        await anonymous.GotoAsync("/images");
        await Expect(anonymous).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login\\?ReturnUrl=%2Fimages"));
        var apiStatus = await anonymous.EvaluateAsync<int>("async () => (await fetch('/api/images')).status");
        Assert.Equal(401, apiStatus);

        // An operator sees images but has no delete button, and the API refuses the delete.
        var page = await browser.NewPageAsync(appliance.BaseAddress);
        await page.GotoAsync("/login");
        await SignInAsync(page, "oscar", OperatorPassword);
        await Expect(page.Locator("#whoami")).ToContainTextAsync("operator");
        await page.GotoAsync("/images");
        await page.ClickAsync("text=op-os");
        await Expect(page.Locator("h1")).ToContainTextAsync("op-os");
        Assert.Equal(0, await page.Locator("#delete").CountAsync());
        var imageId = page.Url.Split('/')[^1];
        var status = await page.EvaluateAsync<int>(
            "async id => (await fetch('/api/images/' + id, { method: 'DELETE', headers: { 'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content } })).status",
            imageId);
        Assert.Equal(403, status);
        await page.GotoAsync("/users");
        Assert.Equal(403, await page.EvaluateAsync<int>("async () => (await fetch('/users')).status"));
    }

    [Fact]
    public async Task TheJobEngineDashboardIsForAdminsOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("bp-ui-hf");
        await using var appliance = new ApplianceProcess(dir.Path, await postgres.CreateEmptyDatabaseAsync("uihf"), "--Appliance:NodeName", "ui-hf");
        await appliance.StartAsync();
        await CreateUserAsync(appliance, "alice", "admin", AdminPassword, ct);
        await CreateUserAsync(appliance, "oscar", "operator", OperatorPassword, ct);
        await using var browser = await TestBrowser.LaunchAsync(appliance);

        // Anonymous: sent to the sign-in page; none of the dashboard's pages or its data is served.
        var anonymous = await browser.NewPageAsync(appliance.BaseAddress);
        await anonymous.GotoAsync("/jobs/hangfire");
        await Expect(anonymous).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login\\?ReturnUrl=%2Fjobs%2Fhangfire"));
        var followed = await anonymous.EvaluateAsync<string>("async () => { const r = await fetch('/jobs/hangfire/recurring'); return r.url + ' ' + (await r.text()); }");
        Assert.Contains("/login?ReturnUrl=%2Fjobs%2Fhangfire%2Frecurring", followed, StringComparison.Ordinal);
        Assert.DoesNotContain("jobs.recovery-sweep", followed, StringComparison.Ordinal);

        // Operator: signed in, but not allowed; the Jobs page does not offer the link.
        var op = await browser.NewPageAsync(appliance.BaseAddress);
        await op.GotoAsync("/login");
        await SignInAsync(op, "oscar", OperatorPassword);
        await Expect(op.Locator("#whoami")).ToContainTextAsync("operator");
        await op.GotoAsync("/jobs");
        Assert.Equal(0, await op.Locator("#engine-dashboard").CountAsync());
        var denied = await op.GotoAsync("/jobs/hangfire");
        Assert.Equal(403, denied!.Status);
        Assert.Equal(0, await op.Locator("text=Recurring Jobs").CountAsync());
        Assert.Equal(403, await op.EvaluateAsync<int>("async () => (await fetch('/jobs/hangfire/recurring')).status"));

        // Admin: the link on the Jobs page opens the dashboard, which lists this node's server and the recovery sweep.
        var admin = await browser.NewPageAsync(appliance.BaseAddress);
        await admin.GotoAsync("/login");
        await SignInAsync(admin, "alice", AdminPassword);
        await Expect(admin.Locator("h1")).ToHaveTextAsync("Dashboard");
        await admin.GotoAsync("/jobs");
        await admin.ClickAsync("#engine-dashboard");
        await Expect(admin).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/jobs/hangfire/?$"));
        await Expect(admin.Locator("body")).ToContainTextAsync("BladeProvisioner · job engine");
        await admin.GotoAsync("/jobs/hangfire/servers");
        await Expect(admin.Locator("body")).ToContainTextAsync("ui-hf");
        await admin.GotoAsync("/jobs/hangfire/recurring");
        await Expect(admin.Locator("body")).ToContainTextAsync("jobs.recovery-sweep");
        await ScreenshotAsync(admin, "job-engine.png");
    }

    /// <summary>
    /// Routing ignores case, so /API/... reaches the same endpoints as /api/...: a page on another site that makes a
    /// signed-in browser POST there must meet the same CSRF check (400 CSRF_FAILED), and the blade stays as it was.
    /// </summary>
    [Fact]
    public async Task CookieApiWritesWithoutTheCsrfHeaderAreRefusedWhateverTheCaseOfThePath()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("bp-ui-csrf");
        await using var appliance = new ApplianceProcess(dir.Path, await postgres.CreateEmptyDatabaseAsync("uicsrf"), "--Appliance:NodeName", "ui-csrf");
        await appliance.StartAsync();
        await CreateUserAsync(appliance, "alice", "admin", AdminPassword, ct);
        const string Mac = "52:54:00:aa:13:08";
        using (var created = await appliance.Http.PostAsJsonAsync("api/blades", new { bootMac = Mac, hostname = "csrf-blade" }, ct))
        {
            created.EnsureSuccessStatusCode();
        }

        var blade = (await appliance.GetAsync<List<JsonElement>>("api/blades")).Single(b => b.GetProperty("bootMac").GetString() == Mac);
        var bladeId = blade.GetProperty("id").GetInt64();
        var stateBefore = blade.GetProperty("state").GetString();
        await using var browser = await TestBrowser.LaunchAsync(appliance);
        var page = await browser.NewPageAsync(appliance.BaseAddress);
        await page.GotoAsync("/login");
        await SignInAsync(page, "alice", AdminPassword);
        await Expect(page.Locator("#whoami")).ToContainTextAsync("alice");

        foreach (var prefix in new[] { "/api", "/API", "/Api", "/aPI" })
        {
            var answer = await page.EvaluateAsync<JsonElement>(
                "async url => { const r = await fetch(url, { method: 'POST' }); let code = null; try { code = (await r.json()).code; } catch { } return { status: r.status, code }; }",
                $"{prefix}/blades/{bladeId}/decommission");
            Assert.True(
                answer.GetProperty("status").GetInt32() == 400 && answer.GetProperty("code").GetString() == "CSRF_FAILED",
                $"POST {prefix}/blades/{bladeId}/decommission without X-CSRF-Token answered {answer}");
        }

        var after = await appliance.GetAsync<JsonElement>($"api/blades/{bladeId}");
        Assert.Equal(stateBefore, after.GetProperty("state").GetString());
    }

    /// <summary>
    /// Chromium signs in over the management listener (HTTPS, the appliance's own certificate pinned by its public key):
    /// the session and antiforgery cookies are Secure, HttpOnly and SameSite=Strict, and page script cannot read them.
    /// </summary>
    [Fact]
    public async Task SignInOverTheManagementListenerGivesSecureHttpOnlyStrictCookies()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("bp-ui-tls");
        await using var appliance = new ApplianceProcess(dir.Path, await postgres.CreateEmptyDatabaseAsync("uitls"), "--Appliance:NodeName", "ui-tls");
        await appliance.StartAsync();
        await CreateUserAsync(appliance, "alice", "admin", AdminPassword, ct);
        await using var browser = await TestBrowser.LaunchAsync(appliance);
        var page = await browser.NewPageAsync(appliance.BaseAddress);
        await page.GotoAsync("/login");
        Assert.StartsWith($"https://127.0.0.1:{appliance.Port}/", page.Url, StringComparison.Ordinal);
        await SignInAsync(page, "alice", AdminPassword);
        await Expect(page.Locator("#whoami")).ToContainTextAsync("alice");

        var cookies = await page.Context.CookiesAsync();
        foreach (var name in new[] { "bp_session", "bp_csrf" })
        {
            var cookie = cookies.SingleOrDefault(c => c.Name == name);
            Assert.True(cookie is not null, $"{name} was set; cookies: {string.Join(", ", cookies.Select(c => c.Name))}");
            Assert.True(cookie.Secure, $"{name} is Secure");
            Assert.True(cookie.HttpOnly, $"{name} is HttpOnly");
            Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        }

        Assert.Equal(string.Empty, await page.EvaluateAsync<string>("() => document.cookie"));

        // The pages keep working with them.
        await page.GotoAsync("/users");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Users and API tokens");
    }

    internal static async Task SignInAsync(IPage page, string name, string password)
    {
        await page.FillAsync("#name", name);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#login-form button[type=submit]");
    }

    internal static async Task CreateUserAsync(ApplianceProcess appliance, string name, string role, string password, CancellationToken ct)
    {
        using var response = await appliance.Http.PostAsJsonAsync("api/users", new { name, role, password }, ct);
        response.EnsureSuccessStatusCode();
    }

    private static async Task<string> PreviewAsync(ApplianceProcess appliance, string mac, CancellationToken ct) =>
        await appliance.Http.GetStringAsync($"api/boot/preview?mac={Uri.EscapeDataString(mac)}&platform=Bios", ct);

    private static async Task<double> WidthAsync(ILocator row) =>
        double.Parse((await row.Locator(".bar > span").GetAttributeAsync("style"))!.Split(':')[1].Trim().TrimEnd(';', '%'), CultureInfo.InvariantCulture);

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("BP_SCREENSHOTS") != "1")
        {
            return;
        }

        var target = Path.Combine(ApplianceProcess.RepositoryRoot(), "docs", "screenshots", name);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await page.ScreenshotAsync(new() { Path = target });
    }

    internal static string WriteRandomFile(string directory, string name, int bytes)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(bytes));
        return path;
    }

    private static string Sha256(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }
}
