using BladeProvisioner.Storage.Partitioning;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace BladeProvisioner.Storage.Cloning;

public static class CloningHostingExtensions
{
    /// <summary>
    /// The clone engine (<see cref="VolumeCopier"/>, options section <c>Storage:Clone</c>) and the partition-table
    /// rewriter (<see cref="VolumePartitioner"/>). Safe to call alongside AddImages, which shares the copier.
    /// </summary>
    public static IHostApplicationBuilder AddVolumeCloning(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (!services.Any(d => d.ServiceType == typeof(VolumeCopier)))
        {
            services.AddOptions<CloneOptions>().BindConfiguration(CloneOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        }

        services.TryAddSingleton<VolumeCopier>();
        services.TryAddSingleton<VolumePartitioner>();
        return builder;
    }
}
