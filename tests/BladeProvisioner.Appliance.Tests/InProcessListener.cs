using BladeProvisioner.Appliance.Hosting.Listeners;
using BladeProvisioner.Core.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>
/// An in-process host (test server, or the factory's own Kestrel port) has none of the appliance's two listeners, so
/// the appliance would answer every request 404. These tests are about the API, the UI and the boot conversation, not
/// the listener split (that is tested on a real process): every request is taken as arriving on both listeners.
/// </summary>
internal sealed class InProcessListener : IStartupFilter
{
    private static readonly ListenerPlaneFeature Both = new(ListenerPlanes.Both, ["localhost"], [System.Net.IPAddress.Loopback]);

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            context.Features.Set(Both);
            return nextMiddleware(context);
        });
        next(app);
    };
}
