using BladeProvisioner.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>The appliance in-process on a fresh database of the test cluster and a temporary data directory.</summary>
internal sealed class ApplianceFactory(string connectionString) : WebApplicationFactory<Program>
{
    private readonly TempDirectory _data = new("bp-api");
    private readonly TgtInstance _tgt = TgtInstance.Claim();

    public string DataDirectory => _data.Path;

    public string Incoming => _data.Sub("incoming");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Appliance", connectionString);
        builder.UseSetting("Appliance:DataDirectory", _data.Path);
        builder.UseSetting("Appliance:NodeName", "api-test-" + Guid.NewGuid().ToString("N")[..8]);
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
}
