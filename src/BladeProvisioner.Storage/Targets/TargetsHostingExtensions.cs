using BladeProvisioner.Core.Readiness;
using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Storage.Targets.Lio;
using BladeProvisioner.Storage.Targets.Reconciler;
using BladeProvisioner.Storage.Targets.Tgt;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Storage.Targets;

internal static class TargetsHostingExtensions
{
    /// <summary>
    /// Part of <see cref="StorageHostingExtensions.AddStorage"/> (the live tgtd tests compose it alone).
    /// iSCSI targets: the configured driver, the tgtd supervisor (tgt driver with Targets:ManageTgtd), and the
    /// reconciler that gates readiness ("targets"). Needs an <see cref="IDesiredTargetSource"/> registration.
    /// </summary>
    public static IHostApplicationBuilder AddTargets(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<TargetsOptions>()
            .BindConfiguration(TargetsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.TryAddSingleton<IProcessRunner, ProcessRunner>();
        services.TryAddSingleton<ApplianceReadiness>();
        services.AddSingleton(new ReadinessGate(TargetReconcilerService.ReadinessGate));
        services.AddSingleton<IReadinessProbe, TargetDaemonReadinessProbe>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TgtDriver>();
        services.TryAddSingleton<LioDriver>();
        services.TryAddSingleton<ITargetDriver>(sp =>
            sp.GetRequiredService<IOptions<TargetsOptions>>().Value.Driver == TargetDriverKind.Lio
                ? sp.GetRequiredService<LioDriver>()
                : sp.GetRequiredService<TgtDriver>());
        services.TryAddSingleton<ReconcileTrigger>();
        services.TryAddSingleton<TargetChangeLock>();
        services.TryAddSingleton<TargetReconciler>();

        // The supervisor is registered first so tgtd is starting before the reconciler's first pass.
        var configured = builder.Configuration.GetSection(TargetsOptions.SectionName);
        var settings = configured.Get<TargetsOptions>() ?? new TargetsOptions();
        if (settings is { Driver: TargetDriverKind.Tgt, ManageTgtd: true })
        {
            services.AddHostedService<TgtdSupervisor>();
        }

        services.AddHostedService<TargetReconcilerService>();
        return builder;
    }
}
