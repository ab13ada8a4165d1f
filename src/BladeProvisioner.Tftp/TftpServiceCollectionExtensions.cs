using System.Diagnostics.Metrics;
using BladeProvisioner.Core.Readiness;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Tftp.Files;
using BladeProvisioner.Tftp.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Tftp;

public static class TftpServiceCollectionExtensions
{
    /// <summary>
    /// The built-in TFTP server (section "Tftp"), off unless Tftp:Enabled. Per-client files come from
    /// <see cref="ITftpFileProvider"/> registrations, asked in order before Tftp:Root.
    /// </summary>
    public static IHostApplicationBuilder AddTftp(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<TftpOptions>()
            .BindConfiguration(TftpOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TftpOptions>, TftpOptionsValidator>());
        services.TryAddSingleton<ApplianceReadiness>();
        services.TryAddSingleton(sp => new TftpMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<TftpOptions>>().Value;
            var root = string.IsNullOrWhiteSpace(options.Root) ? null : new RootDirectoryFileProvider(options.Root);
            return new TftpServerContext(
                options,
                new TftpFileProviderChain(sp.GetServices<ITftpFileProvider>(), root),
                sp.GetRequiredService<TftpMetrics>(),
                sp.GetService<ITimeline>() ?? NullTimeline.Instance,
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("BladeProvisioner.Tftp"))
            {
                Readiness = sp.GetRequiredService<ApplianceReadiness>(),
            };
        });
        services.AddSingleton<TftpServer>();
        services.AddHostedService(sp => sp.GetRequiredService<TftpServer>());
        return builder;
    }
}
