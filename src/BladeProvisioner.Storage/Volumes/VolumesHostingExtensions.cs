using BladeProvisioner.Storage.Targets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace BladeProvisioner.Storage.Volumes;

public static class VolumesHostingExtensions
{
    /// <summary>Volume paths and the database as the source of the targets that must be live.</summary>
    public static IHostApplicationBuilder AddVolumes(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<VolumeOptions>().BindConfiguration(VolumeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton<VolumePaths>();
        builder.Services.TryAddSingleton<IDesiredTargetSource, DatabaseTargetSource>();
        return builder;
    }
}
