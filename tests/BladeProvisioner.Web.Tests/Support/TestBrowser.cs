using BladeProvisioner.Testing;
using Microsoft.Playwright;

namespace BladeProvisioner.Web.Tests.Support;

/// <summary>
/// Debian's Chromium driven by Playwright's bundled driver (no browser download): headless, sandbox off (root in CI),
/// no network chatter of its own, a fresh profile per context.
/// </summary>
internal sealed class TestBrowser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private readonly IPlaywright _playwright;

    private TestBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Chromium = browser;
    }

    public IBrowser Chromium { get; }

    /// <summary>
    /// Chromium that trusts the appliance's management certificate by its public key's SHA-256 (Chromium's SPKI pin list),
    /// not by turning certificate checks off.
    /// </summary>
    public static async Task<TestBrowser> LaunchAsync(ApplianceProcess appliance)
    {
        ArgumentNullException.ThrowIfNull(appliance);
        Prerequisites.RequireProgram(ChromiumPath);
        // Expect() polls until its condition holds; the 5 s default is too short for a loaded two-core CI machine.
        Assertions.SetDefaultExpectTimeout(30_000);
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--ignore-certificate-errors-spki-list=" + appliance.CertificateSpkiHash()],
        });
        return new TestBrowser(playwright, browser);
    }

    /// <summary>A fresh browser profile (no cookies) with a 1600×1000 window.</summary>
    public async Task<IPage> NewPageAsync(Uri baseAddress)
    {
        var context = await Chromium.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1600, Height = 1000 },
        });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Chromium.DisposeAsync();
        _playwright.Dispose();
    }
}
