using BladeProvisioner.Dhcp.Hosting;
using BladeProvisioner.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace BladeProvisioner.Dhcp.Tests.Integration;

/// <summary>
/// The DHCP module in a real host, as the appliance wires it (AddDhcp over a real PostgreSQL), serving the host end
/// of a <see cref="TestNetwork"/> veth pair; real clients run inside the namespace.
/// </summary>
internal sealed class DhcpHostFixture : IAsyncDisposable
{
    private DhcpHostFixture(TestNetwork network, IHost host, NpgsqlDataSource dataSource)
    {
        Network = network;
        Host = host;
        DataSource = dataSource;
    }

    public TestNetwork Network { get; }
    public IHost Host { get; }
    public NpgsqlDataSource DataSource { get; }
    public string Prefix => $"10.99.{Network.Subnet}";

    public static async Task<DhcpHostFixture> StartAsync(PostgresServer postgres, string name, int subnet, Action<Dictionary<string, string?>>? configure = null)
    {
        var network = TestNetwork.Create(name, subnet, peerAddress: false);
        NpgsqlDataSource? dataSource = null;
        try
        {
            dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync("dhcp"));
            var settings = new Dictionary<string, string?>
            {
                ["Dhcp:Enabled"] = "true",
                ["Dhcp:Interfaces:0:Name"] = network.HostInterface,
                ["Dhcp:ProbeBeforeOffer:Enabled"] = "false",
                ["Dhcp:Scopes:0:Name"] = "lab",
                ["Dhcp:Scopes:0:Subnet"] = $"10.99.{subnet}.0/24",
                ["Dhcp:Scopes:0:Ranges:0"] = $"10.99.{subnet}.100-10.99.{subnet}.150",
                ["Dhcp:Scopes:0:Router"] = $"10.99.{subnet}.1",
                ["Dhcp:Scopes:0:DnsServers:0"] = $"10.99.{subnet}.53",
                ["Dhcp:Scopes:0:Domain"] = "lab.example",
                ["Dhcp:Scopes:0:LeaseTime"] = "00:10:00",
            };
            configure?.Invoke(settings);
            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Services.AddSingleton(dataSource);
            builder.AddDhcp();
            var host = builder.Build();
            await host.StartAsync(TestContext.Current.CancellationToken);
            await host.Services.GetRequiredService<DhcpHostedService>().Listening.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            return new DhcpHostFixture(network, host, dataSource);
        }
        catch
        {
            if (dataSource is not null)
            {
                await dataSource.DisposeAsync();
            }

            network.Dispose();
            throw;
        }
    }

    public async Task<List<(string Address, string Mac, string State)>> LeasesAsync()
    {
        var list = new List<(string, string, string)>();
        await using var cmd = DataSource.CreateCommand("SELECT host(address), mac, state FROM dhcp_leases ORDER BY address");
        await using var reader = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            list.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        return list;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Host.StopAsync(CancellationToken.None);
            Host.Dispose();
            await DataSource.DisposeAsync();
        }
        finally
        {
            Network.Dispose();
        }
    }
}
