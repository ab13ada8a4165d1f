using BladeProvisioner.Core.Boot;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BladeProvisioner.Boot.Endpoints;

public static class BootHostingExtensions
{
    /// <summary>The boot conversation and blade access checks; provisioning itself is the Provisioning module's.</summary>
    public static IHostApplicationBuilder AddBoot(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<BootOptions>().BindConfiguration(BootOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton<BootAccess>();
        builder.Services.TryAddSingleton<BootTickets>();
        builder.Services.TryAddSingleton<IBootTickets>(sp => sp.GetRequiredService<BootTickets>());
        builder.Services.TryAddSingleton<BootMetrics>();
        builder.Services.TryAddSingleton<BootConversation>();
        builder.Services.TryAddSingleton<PhoneHome>();
        builder.Services.TryAddSingleton<IBootScriptPreview>(sp => sp.GetRequiredService<BootConversation>());

        // Before the API's handler (AddWebApi registers it later): a refused enrolment is a script, not a 500.
        builder.Services.AddExceptionHandler<BootExceptionHandler>();
        return builder;
    }
}
