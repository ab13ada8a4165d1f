using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BladeProvisioner.Testing;
using BladeProvisioner.Web.Tests.Support;
using Microsoft.Playwright;
using static BladeProvisioner.Web.Tests.Browser.BrowserTests;
using static Microsoft.Playwright.Assertions;

namespace BladeProvisioner.Web.Tests.Browser;

/// <summary>
/// The cloud-init forms of the image and blade pages in a real Chromium: they go through the API's PATCH (its checks,
/// its timeline event, its admin-only policy), show the stored user-data only as size and SHA-256, and never put it
/// back into the page.
/// </summary>
public sealed class CloudInitFormTests(PostgresServer postgres)
{
    private const string AdminPassword = "correct horse battery";
    private const string OperatorPassword = "operator staple 42";

    [Fact]
    public async Task AdminSetsKeysAndUserDataOnTheImagePageAndABadKeyChangesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("bp-ui-ci-image");
        await using var appliance = new ApplianceProcess(dir.Path, await postgres.CreateEmptyDatabaseAsync("uici_image"), "--Appliance:NodeName", "ui-ci-image");
        await appliance.StartAsync();
        await CreateUserAsync(appliance, "alice", "admin", AdminPassword, ct);
        var imageId = await ImportImageAsync(appliance, dir, "ci-os", ct);
        var key = NewSshKey();
        var secret = "image-secret-" + Guid.NewGuid().ToString("N");
        var userData = $"#cloud-config\nwrite_files:\n  - path: /etc/bp-ui-test\n    content: {secret}\n";
        await using var browser = await TestBrowser.LaunchAsync(appliance);
        var page = await SignedInPageAsync(browser, appliance, "alice", AdminPassword);
        try
        {
            await page.GotoAsync($"/images/{imageId}");
            await Expect(page.Locator("#ci-user-data-state")).ToHaveTextAsync("not set");
            await page.SelectOptionAsync("#ci-mode", "On");
            await page.FillAsync("#ci-keys", key + "\n");
            await page.FillAsync("#ci-user-data", userData);
            await page.ClickAsync("#ci-save");

            await Expect(page.Locator("#ci-user-data-state")).ToHaveTextAsync($"set, {Bytes(userData)} bytes, sha256 {Sha256(userData)}");
            await Expect(page.Locator("#ci-key-list li")).ToHaveTextAsync([key]);
            await Expect(page.Locator("#ci-mode-setting")).ToHaveTextAsync("On");
            await Expect(page.Locator("#ci-user-data")).ToHaveValueAsync(string.Empty);
            var summary = $"ci-os v1: cloud-init On, 1 authorised key(s), user-data {Bytes(userData)} bytes sha256 {Sha256(userData)}, by alice";
            Assert.Contains(summary, await EventSummariesAsync(appliance, $"imageId={imageId}&kind=image.cloud-init"));
            await page.ReloadAsync();
            await Expect(page.Locator("table.timeline")).ToContainTextAsync(summary);
            await AssertSecretNotInPageAsync(page, secret);
            var stored = (await appliance.GetAsync<JsonElement>($"api/images/{imageId}")).GetProperty("cloudInit");
            Assert.Equal("On", stored.GetProperty("mode").GetString());
            Assert.Equal([key], stored.GetProperty("sshAuthorizedKeys").EnumerateArray().Select(k => k.GetString()));
            Assert.Equal(Sha256(userData), stored.GetProperty("userDataSha256").GetString());

            // A bad key, sent with new user-data and another mode: the API's message beside the form, nothing stored.
            await page.SelectOptionAsync("#ci-mode", "Off");
            await page.FillAsync("#ci-keys", key + "\nssh-ed25519 not-a-key admin@example");
            await page.FillAsync("#ci-user-data", "#cloud-config\npackages: [htop]\n");
            await page.ClickAsync("#ci-save");
            await Expect(page.Locator("#ci-error")).ToContainTextAsync("sshAuthorizedKeys[1] is not an SSH public key");
            Assert.Equal(stored.GetRawText(), (await appliance.GetAsync<JsonElement>($"api/images/{imageId}")).GetProperty("cloudInit").GetRawText());

            // User-data that is not cloud-config, a script or MIME: refused the same way.
            await page.FillAsync("#ci-keys", key);
            await page.FillAsync("#ci-user-data", "packages: [htop]\n");
            await page.ClickAsync("#ci-save");
            await Expect(page.Locator("#ci-error")).ToContainTextAsync("userData must start with '#cloud-config'");
            Assert.Equal(stored.GetRawText(), (await appliance.GetAsync<JsonElement>($"api/images/{imageId}")).GetProperty("cloudInit").GetRawText());

            // Removing the user-data keeps the keys.
            await page.ReloadAsync();
            page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
            await page.ClickAsync("#ci-clear-user-data");
            await Expect(page.Locator("#ci-user-data-state")).ToHaveTextAsync("not set");
            await Expect(page.Locator("#ci-key-list li")).ToHaveTextAsync([key]);
            var cleared = (await appliance.GetAsync<JsonElement>($"api/images/{imageId}")).GetProperty("cloudInit");
            Assert.False(cleared.GetProperty("userDataSet").GetBoolean());
            Assert.DoesNotContain(secret, appliance.FullLog(), StringComparison.Ordinal);
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(dir.Path, "failure.png"), FullPage = true });
            TestContext.Current.TestOutputHelper?.WriteLine(appliance.Log());
            throw;
        }
    }

    [Fact]
    public async Task AdminSetsKeysAndUserDataOnTheBladePageAndABadKeyChangesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("bp-ui-ci-blade");
        await using var appliance = new ApplianceProcess(dir.Path, await postgres.CreateEmptyDatabaseAsync("uici_blade"), "--Appliance:NodeName", "ui-ci-blade");
        await appliance.StartAsync();
        await CreateUserAsync(appliance, "alice", "admin", AdminPassword, ct);
        var bladeId = await CreateBladeAsync(appliance, "52:54:00:aa:14:01", ct);
        var imageId = await ImportImageAsync(appliance, dir, "ci-blade-os", ct);
        var key = NewSshKey();
        var secret = "blade-secret-" + Guid.NewGuid().ToString("N");
        var userData = $"#!/bin/sh\necho {secret} > /etc/bp-ui-test\n";
        await using var browser = await TestBrowser.LaunchAsync(appliance);
        var page = await SignedInPageAsync(browser, appliance, "alice", AdminPassword);
        try
        {
            await page.GotoAsync($"/blades/{bladeId}");
            await Expect(page.Locator("#ci-image-mode")).ToContainTextAsync("the mode of the image it is provisioned from");

            // With an image assigned, the page names that image's mode.
            await Eventually.UntilAsync(
                async () => (await appliance.GetAsync<JsonElement>($"api/images/{imageId}")).GetProperty("state").GetString(), state => state == "Active", TimeSpan.FromSeconds(90));
            using (var assigned = await appliance.Http.PatchAsJsonAsync($"api/blades/{bladeId}", new { assignedImageId = imageId }, ct))
            {
                assigned.EnsureSuccessStatusCode();
            }

            await page.ReloadAsync();
            await Expect(page.Locator("#ci-image-mode")).ToContainTextAsync("assigned ci-blade-os v1 is Auto, a seed when the clone's root has cloud-init.");
            await Expect(page.Locator("#cloud-init")).ToContainTextAsync("next provision");
            Assert.Equal(0, await page.Locator("#ci-mode").CountAsync());
            await page.FillAsync("#ci-keys", key);
            await page.FillAsync("#ci-user-data", userData);
            await page.ClickAsync("#ci-save");

            await Expect(page.Locator("#ci-user-data-state")).ToHaveTextAsync($"set, {Bytes(userData)} bytes, sha256 {Sha256(userData)}");
            await Expect(page.Locator("#ci-key-list li")).ToHaveTextAsync([key]);
            await Expect(page.Locator("#ci-user-data")).ToHaveValueAsync(string.Empty);
            var summary = $"cloud-init (1 authorised key(s), user-data {Bytes(userData)} bytes sha256 {Sha256(userData)}) changed by alice";
            Assert.Contains(summary, await EventSummariesAsync(appliance, $"bladeId={bladeId}&kind=blade.updated"));
            await page.ReloadAsync();
            await Expect(page.Locator("#timeline")).ToContainTextAsync(summary);
            await AssertSecretNotInPageAsync(page, secret);
            var stored = (await appliance.GetAsync<JsonElement>($"api/blades/{bladeId}")).GetProperty("cloudInit");
            Assert.Equal([key], stored.GetProperty("sshAuthorizedKeys").EnumerateArray().Select(k => k.GetString()));
            Assert.Equal(Bytes(userData), stored.GetProperty("userDataBytes").GetInt32());

            await page.FillAsync("#ci-keys", "not a key at all");
            await page.FillAsync("#ci-user-data", "#cloud-config\npackages: [htop]\n");
            await page.ClickAsync("#ci-save");
            await Expect(page.Locator("#ci-error")).ToContainTextAsync("sshAuthorizedKeys[0] is not an SSH public key");
            Assert.Equal(stored.GetRawText(), (await appliance.GetAsync<JsonElement>($"api/blades/{bladeId}")).GetProperty("cloudInit").GetRawText());

            // An empty key list removes the blade's keys; the user-data stays.
            await page.ReloadAsync();
            await page.FillAsync("#ci-keys", string.Empty);
            await page.ClickAsync("#ci-save");
            await Expect(page.Locator("#ci-no-keys")).ToBeVisibleAsync();
            await Expect(page.Locator("#ci-user-data-state")).ToHaveTextAsync($"set, {Bytes(userData)} bytes, sha256 {Sha256(userData)}");
            Assert.Empty((await appliance.GetAsync<JsonElement>($"api/blades/{bladeId}")).GetProperty("cloudInit").GetProperty("sshAuthorizedKeys").EnumerateArray());
            Assert.DoesNotContain(secret, appliance.FullLog(), StringComparison.Ordinal);
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(dir.Path, "failure.png"), FullPage = true });
            TestContext.Current.TestOutputHelper?.WriteLine(appliance.Log());
            throw;
        }
    }

    [Fact]
    public async Task AnOperatorSeesCloudInitSettingsButCannotChangeThem()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("bp-ui-ci-op");
        await using var appliance = new ApplianceProcess(dir.Path, await postgres.CreateEmptyDatabaseAsync("uici_op"), "--Appliance:NodeName", "ui-ci-op");
        await appliance.StartAsync();
        await CreateUserAsync(appliance, "oscar", "operator", OperatorPassword, ct);
        var imageId = await ImportImageAsync(appliance, dir, "ci-op-os", ct);
        var bladeId = await CreateBladeAsync(appliance, "52:54:00:aa:14:02", ct);
        await using var browser = await TestBrowser.LaunchAsync(appliance);
        var page = await SignedInPageAsync(browser, appliance, "oscar", OperatorPassword);

        foreach (var (pagePath, apiPath) in new[] { ($"/images/{imageId}", $"/api/images/{imageId}"), ($"/blades/{bladeId}", $"/api/blades/{bladeId}") })
        {
            await page.GotoAsync(pagePath);
            await Expect(page.Locator("#ci-user-data-state")).ToHaveTextAsync("not set");
            Assert.Equal(0, await page.Locator("#cloud-init-form").CountAsync());

            // What the form would send, with the page's CSRF token: the API's admin policy refuses it.
            var status = await page.EvaluateAsync<int>(
                "async url => (await fetch(url, { method: 'PATCH', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content }, "
                + "body: JSON.stringify({ cloudInit: { sshAuthorizedKeys: [], userData: '#cloud-config\\n' } }) })).status",
                apiPath);
            Assert.Equal(403, status);
            var after = (await appliance.GetAsync<JsonElement>(apiPath.TrimStart('/'))).GetProperty("cloudInit");
            Assert.False(after.GetProperty("userDataSet").GetBoolean());
        }
    }

    private static async Task<IPage> SignedInPageAsync(TestBrowser browser, ApplianceProcess appliance, string name, string password)
    {
        var page = await browser.NewPageAsync(appliance.BaseAddress);
        await page.GotoAsync("/login");
        await SignInAsync(page, name, password);
        await Expect(page.Locator("#whoami")).ToContainTextAsync(name);
        return page;
    }

    /// <summary>Neither the page as the server sent it nor the DOM after the form ran holds the secret.</summary>
    private static async Task AssertSecretNotInPageAsync(IPage page, string secret)
    {
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, await page.EvaluateAsync<string>("async () => (await fetch(location.href)).text()"), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, page.Url, StringComparison.Ordinal);
    }

    /// <summary>The timeline is written in the background: wait for the form's event to land.</summary>
    private static async Task<List<string>> EventSummariesAsync(ApplianceProcess appliance, string query) =>
        await Eventually.UntilAsync(
            async () => (await appliance.GetAsync<List<JsonElement>>("api/events?" + query)).Select(e => e.GetProperty("summary").GetString()!).ToList(),
            summaries => summaries.Count > 0);

    private static async Task<long> ImportImageAsync(ApplianceProcess appliance, TempDirectory dir, string name, CancellationToken ct)
    {
        var source = WriteRandomFile(Path.Combine(dir.Path, "incoming"), name + ".raw", 1 << 20);
        using var import = await appliance.Http.PostAsJsonAsync("api/images/import", new { name, operatingSystem = "CI OS", bootMode = "Both", path = source }, ct);
        import.EnsureSuccessStatusCode();
        var started = await import.Content.ReadFromJsonAsync<JsonElement>(ct);
        return started.GetProperty("image").GetProperty("id").GetInt64();
    }

    private static async Task<long> CreateBladeAsync(ApplianceProcess appliance, string mac, CancellationToken ct)
    {
        using var created = await appliance.Http.PostAsJsonAsync("api/blades", new { bootMac = mac }, ct);
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetInt64();
    }

    private static string NewSshKey()
    {
        var dir = Directory.CreateTempSubdirectory("bp-ui-key-").FullName;
        try
        {
            var r = TestNetwork.Run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", string.Empty, "-C", "admin@example", "-f", Path.Combine(dir, "id")], TimeSpan.FromSeconds(30));
            Assert.True(r.ExitCode == 0, r.Stderr);
            return File.ReadAllText(Path.Combine(dir, "id.pub")).Trim();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static int Bytes(string text) => Encoding.UTF8.GetByteCount(text);

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
