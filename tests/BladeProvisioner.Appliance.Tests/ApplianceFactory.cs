using BladeProvisioner.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>The appliance in-process on a fresh database of the test cluster and a temporary data directory.</summary>
internal sealed class ApplianceFactory(string connectionString, IReadOnlyDictionary<string, string>? settings = null)
    : WebApplicationFactory<Program>
{
    private readonly TempDirectory _data = new("bp-api");
    private readonly TgtInstance _tgt = TgtInstance.Claim();

    public string DataDirectory => _data.Path;

    /// <summary>The admin API token the appliance registers at start (<c>Auth:BootstrapApiToken</c>).</summary>
    public string ApiToken { get; } = "bp-test-" + Guid.NewGuid().ToString("N");

    public string Incoming => _data.Sub("incoming");

    public int PortalPort => _tgt.PortalPort;

    /// <summary>The control port of the appliance's own tgtd (for <c>tgtadm -C</c>).</summary>
    public int TgtControlPort => _tgt.ControlPort;

    /// <summary>What the appliance logged (information and above).</summary>
    public FileLoggerProvider Log { get; } = new(Path.Combine(Path.GetTempPath(), $"bp-api-{Guid.NewGuid():N}.log"));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.ConfigureServices(services => services.AddTransient<IStartupFilter, InProcessListener>());
        builder.UseSetting("ConnectionStrings:Appliance", connectionString);
        builder.ConfigureLogging(logging => logging.AddProvider(Log));
        builder.UseSetting("Appliance:DataDirectory", _data.Path);
        builder.UseSetting("Auth:BootstrapApiToken", ApiToken);
        builder.UseSetting("Appliance:NodeName", "api-test-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var (key, value) in _tgt.Settings)
        {
            builder.UseSetting(key, value);
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>Every client signs in with the bootstrap admin token, as every API caller must.</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiToken);
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
}
