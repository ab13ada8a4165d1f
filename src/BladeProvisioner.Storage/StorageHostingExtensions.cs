using BladeProvisioner.Jobs;
using BladeProvisioner.Storage.Capacity;
using BladeProvisioner.Storage.Cloning;
using BladeProvisioner.Storage.Images;
using BladeProvisioner.Storage.Partitioning;
using BladeProvisioner.Storage.Targets;
using BladeProvisioner.Storage.Targets.Sessions;
using BladeProvisioner.Storage.Volumes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace BladeProvisioner.Storage;

public static class StorageHostingExtensions
{
    /// <summary>
    /// Everything that holds blade data: the donor image store and its import job, the clone engine and partition
    /// rewriter (shared by imports and volume clones), volume paths with the database as the source of the targets
    /// that must be live, the iSCSI targets with their reconciler (readiness gate "targets"), and the observer of the
    /// blades' sessions on them (<c>blade.iscsi-login</c>/<c>-logout</c>, Active on the login).
    /// </summary>
    public static IHostApplicationBuilder AddStorage(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        services.AddOptions<CloneOptions>().BindConfiguration(CloneOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<VolumeCopier>();
        services.TryAddSingleton<VolumePartitioner>();
        services.TryAddSingleton(sp => new Identity.OsPersonalizer(
            sp.GetRequiredService<BladeProvisioner.Platform.Processes.IProcessRunner>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<Identity.OsPersonalizer>>())
        {
            GuestfsCacheDirectory = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<BladeProvisioner.Core.Configuration.ApplianceOptions>>().Value.PathUnderData("guestfs"),
        });
        services.TryAddSingleton<CloudInit.SeedImageWriter>();
        services.TryAddSingleton<CloudInit.CloudInitSettings>();

        services.AddOptions<ImageStoreOptions>().BindConfiguration(ImageStoreOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<ImageStore>();
        services.TryAddSingleton<ImageProbe>();
        services.TryAddSingleton<ImagePreflight>();
        services.TryAddSingleton<ImageService>();
        services.AddJobHandler<ImportImageJob>();

        services.AddOptions<VolumeOptions>().BindConfiguration(VolumeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<VolumePaths>();
        services.TryAddSingleton<IDesiredTargetSource, DatabaseTargetSource>();
        services.AddOptions<CapacityOptions>().BindConfiguration(CapacityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<StorageCapacity>();
        services.TryAddSingleton<CapacityMetrics>();
        services.AddHostedService<StoreDirectories>();

        // Blades' iSCSI logins and logouts on this node's targets: the proof that a blade reached its disk.
        services.TryAddSingleton<SessionMetrics>();
        services.AddHostedService<SessionObserver>();

        return builder.AddTargets();
    }
}
