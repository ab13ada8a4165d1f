using System.Net.Http.Headers;
using System.Net.Http.Json;
using BladeProvisioner.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BladeProvisioner.Web.Tests.Support;

/// <summary>The appliance in-process on a fresh database; clients are anonymous unless given a token.</summary>
internal sealed class WebFactory(string connectionString) : WebApplicationFactory<Program>
{
    private readonly TempDirectory _data = new("bp-web");
    private readonly TgtInstance _tgt = TgtInstance.Claim();

    public string AdminToken { get; } = "bp-test-" + Guid.NewGuid().ToString("N");

    public string DataDirectory => _data.Path;

    /// <summary>What the appliance logged (information and above), for failure messages.</summary>
    public FileLoggerProvider Log { get; } = new(Path.Combine(Path.GetTempPath(), $"bp-web-{Guid.NewGuid():N}.log"));

    /// <summary>The UI is HTTPS-only (its cookies are Secure): clients of the test server speak https.</summary>
    public static Uri BaseUri { get; } = new("https://localhost/");

    public HttpClient Anonymous() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = BaseUri });

    public HttpClient WithToken(string token)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A new API token with <paramref name="role"/>, made by the bootstrap admin.</summary>
    public async Task<string> TokenAsync(string role, CancellationToken ct)
    {
        using var admin = WithToken(AdminToken);
        using var response = await admin.PostAsJsonAsync("/api/tokens", new { name = role + "-test", role }, ct);
        response.EnsureSuccessStatusCode();
        var created = await response.Content.ReadFromJsonAsync<TokenDto>(JsonDefaults.Options, ct);
        return created!.Token;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.ConfigureServices(services => services.AddTransient<IStartupFilter, InProcessListener>());
        builder.UseSetting("ConnectionStrings:Appliance", connectionString);
        builder.ConfigureLogging(logging => logging.AddProvider(Log));
        builder.UseSetting("Appliance:DataDirectory", _data.Path);
        builder.UseSetting("Appliance:NodeName", "web-test-" + Guid.NewGuid().ToString("N")[..8]);
        builder.UseSetting("Auth:BootstrapApiToken", AdminToken);
        foreach (var (key, value) in _tgt.Settings)
        {
            builder.UseSetting(key, value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _data.Dispose();
            _tgt.Dispose();
        }
    }

    private sealed record TokenDto(long Id, string Name, string Role, string Token);
}
