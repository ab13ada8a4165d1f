using BladeProvisioner.Jobs;
using BladeProvisioner.Storage.Partitioning;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace BladeProvisioner.Provisioning;

public static class ProvisioningHostingExtensions
{
    /// <summary>Provisioning and decommissioning: the service and its two durable job kinds.</summary>
    public static IHostApplicationBuilder AddProvisioning(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<VolumePartitioner>();
        builder.Services.TryAddSingleton<ProvisioningService>();
        builder.Services.TryAddSingleton<BladePower>();
        builder.Services.AddJobHandler<ProvisionBladeJob>();
        builder.Services.AddJobHandler<DecommissionBladeJob>();
        return builder;
    }
}
