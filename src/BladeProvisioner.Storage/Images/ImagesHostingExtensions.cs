using BladeProvisioner.Jobs;
using BladeProvisioner.Storage.Cloning;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace BladeProvisioner.Storage.Images;

public static class ImagesHostingExtensions
{
    /// <summary>The donor image store, its import job, and the copy engine it shares with volume clones.</summary>
    public static IHostApplicationBuilder AddImages(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<ImageStoreOptions>().BindConfiguration(ImageStoreOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<CloneOptions>().BindConfiguration(CloneOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<VolumeCopier>();
        services.TryAddSingleton<ImageStore>();
        services.TryAddSingleton<ImageProbe>();
        services.TryAddSingleton<ImagePreflight>();
        services.TryAddSingleton<ImageService>();
        services.AddJobHandler<ImportImageJob>();
        return builder;
    }
}
