using System.Diagnostics.Metrics;
using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Power.Diagnostics;
using BladeProvisioner.Power.InBand;
using BladeProvisioner.Power.Ipmi;
using BladeProvisioner.Power.Redfish;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Power;

public static class PowerServiceCollectionExtensions
{
    /// <summary>Power control (section "Power"): <see cref="PowerControl"/> over the in-band, IPMI and Redfish drivers.</summary>
    public static IHostApplicationBuilder AddPower(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<PowerOptions>()
            .BindConfiguration(PowerOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<IProcessRunner, ProcessRunner>();
        services.TryAddSingleton(sp => new PowerMetrics(sp.GetService<IMeterFactory>()));

        services.AddHttpClient(RedfishDriver.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var allowInsecure = sp.GetRequiredService<IOptions<PowerOptions>>().Value.AllowInsecureBmcCertificates;
                return new HttpClientHandler
                {
                    UseCookies = false,
                    AllowAutoRedirect = false,
                    ServerCertificateCustomValidationCallback = (request, certificate, _, errors) =>
                        CertificatePolicy.IsAcceptable(
                            errors,
                            certificate,
                            request.Options.TryGetValue(RedfishSession.PinKey, out var pin) ? pin : null,
                            allowInsecure),
                };
            });

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPowerDriver, InBandDriver>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPowerDriver, IpmiDriver>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPowerDriver, RedfishDriver>());
        services.TryAddSingleton(sp => new PowerControl(
            sp.GetServices<IPowerDriver>(),
            sp.GetRequiredService<PowerMetrics>(),
            sp.GetRequiredService<ILogger<PowerControl>>()));
        return builder;
    }
}
