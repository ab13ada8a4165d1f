using BladeProvisioner.Core.Configuration;
using BladeProvisioner.Core.Naming;
using BladeProvisioner.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Provisioning;

public static class ProvisioningHostingExtensions
{
    /// <summary>Provisioning and decommissioning: the service and its two durable job kinds.</summary>
    public static IHostApplicationBuilder AddProvisioning(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton(sp => IqnFactory.For(sp.GetRequiredService<IOptions<ApplianceOptions>>().Value));
        builder.Services.TryAddSingleton<ProvisioningService>();
        builder.Services.TryAddSingleton<BladePower>();
        builder.Services.TryAddSingleton<CloudInitSeeding>();
        builder.Services.AddJobHandler<ProvisionBladeJob>();
        builder.Services.AddJobHandler<DecommissionBladeJob>();
        return builder;
    }
}
