using System.Diagnostics.Metrics;
using BladeProvisioner.Core.Blades;
using BladeProvisioner.Core.Boot;
using BladeProvisioner.Core.Leases;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Dhcp.Configuration;
using BladeProvisioner.Dhcp.Diagnostics;
using BladeProvisioner.Dhcp.Hosting;
using BladeProvisioner.Dhcp.Leases;
using BladeProvisioner.Dhcp.Probing;
using BladeProvisioner.Dhcp.Scopes;
using BladeProvisioner.Dhcp.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace BladeProvisioner.Dhcp;

/// <summary>Wires the built-in DHCPv4 server into the appliance host.</summary>
public static class DhcpServiceCollectionExtensions
{
    /// <summary>
    /// Adds the DHCP server (section <c>Dhcp</c>; off unless <c>Dhcp:Enabled</c>). Leases live in PostgreSQL through
    /// the host's <see cref="NpgsqlDataSource"/>; the service binds its sockets only after the appliance is ready.
    /// </summary>
    public static IHostApplicationBuilder AddDhcp(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<DhcpOptions>().BindConfiguration(DhcpOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<DhcpOptions>, DhcpOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new DhcpMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<INetworkEnvironment, LinuxNetworkEnvironment>();
        services.TryAddSingleton<ILeaseStore>(sp => new PostgresLeaseStore(
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<DhcpMetrics>(),
            sp.GetRequiredService<ILogger<PostgresLeaseStore>>(),
            sp.GetRequiredService<IOptions<DhcpOptions>>().Value.GroupCommitWindow));
        services.TryAddSingleton<ILeaseDirectory>(sp => new PostgresLeaseDirectory(sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => ScopeTable.Compile(sp.GetRequiredService<IOptions<DhcpOptions>>().Value.Scopes));
        services.TryAddSingleton(sp => new LeaseBook(sp.GetRequiredService<ScopeTable>(), sp.GetRequiredService<ILeaseStore>()));
        services.TryAddSingleton<IAddressProbe>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<DhcpOptions>>().Value;
            return o.ProbeBeforeOffer.Enabled && o.Mode == DhcpMode.Server
                ? new IcmpAddressProbe(o.ProbeBeforeOffer, sp.GetRequiredService<INetworkEnvironment>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<IcmpAddressProbe>>())
                : new DisabledAddressProbe();
        });
        services.AddOptions<BootOptions>().BindConfiguration(BootOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(sp => new DhcpServer(
            sp.GetRequiredService<IOptions<DhcpOptions>>().Value,
            sp.GetRequiredService<ScopeTable>(),
            sp.GetRequiredService<LeaseBook>(),
            sp.GetRequiredService<IAddressProbe>(),
            sp.GetService<IBladeDirectory>(),
            sp.GetService<ITimeline>(),
            sp.GetRequiredService<DhcpMetrics>(),
            sp.GetRequiredService<ILogger<DhcpServer>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<BootOptions>>().Value.HttpPort,
            sp.GetService<IBootTickets>()));
        services.TryAddSingleton<DhcpHostedService>();
        services.AddHostedService(sp => sp.GetRequiredService<DhcpHostedService>());
        return builder;
    }
}
