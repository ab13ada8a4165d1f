using BladeProvisioner.Boot.Provisioning;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace BladeProvisioner.Boot.Endpoints;

public static class BootHostingExtensions
{
    /// <summary>The boot conversation, blade access checks, and provisioning with its jobs.</summary>
    public static IHostApplicationBuilder AddBoot(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddProvisioning();
        builder.Services.TryAddSingleton<BootAccess>();
        builder.Services.TryAddSingleton<BootConversation>();
        return builder;
    }
}
