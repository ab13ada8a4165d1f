using System.Net;
using BladeProvisioner.Core.Boot;
using BladeProvisioner.Core.Configuration;
using BladeProvisioner.Core.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Appliance.Hosting.Listeners;

/// <summary>
/// Two listeners instead of one: the blades' plain-HTTP provisioning listener answers <c>/boot/**</c> and the health
/// probes and nothing else; the operators' HTTPS management listener answers everything else and not <c>/boot/**</c>.
/// Both refuse a Host header that is not the appliance (400), which stops DNS rebinding from an operator's browser.
/// </summary>
internal static partial class ListenerHosting
{
    public static WebApplicationBuilder AddApplianceListeners(this WebApplicationBuilder builder)
    {
        // Urls (or --urls, ASPNETCORE_URLS) would be ignored once the listeners are configured: say so instead of serving elsewhere.
        if (!string.IsNullOrWhiteSpace(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            throw new InvalidOperationException(
                $"Urls ('{builder.Configuration[WebHostDefaults.ServerUrlsKey]}') is not used by the appliance: set Listeners:Provisioning (blades, HTTP) and "
                + "Listeners:Management (UI and API, HTTPS) with Addresses and Port instead.");
        }

        builder.Services.AddOptions<ListenersOptions>().BindConfiguration(ListenersOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ListenersOptions>, ListenersOptionsValidator>();

        // The boot URLs DHCP hands out carry the provisioning port unless Boot:HttpPort says otherwise (a port forward).
        var configured = builder.Configuration.GetSection(ListenersOptions.Section).Get<ListenersOptions>() ?? new ListenersOptions();
        var bootPortKey = $"{BootOptions.Section}:{nameof(BootOptions.HttpPort)}";
        if (string.IsNullOrEmpty(builder.Configuration[bootPortKey]))
        {
            builder.Configuration[bootPortKey] = configured.Provisioning.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        // The names DHCP gives blades in their boot URLs are the provisioning listener's names too.
        var bootNames = new[] { "Dhcp:BootScriptUrl", "Dhcp:HttpBootBaseUrl" }
            .Select(k => Uri.TryCreate(builder.Configuration[k], UriKind.Absolute, out var u) ? u.Host : null)
            .OfType<string>()
            .ToList();

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var options = kestrel.ApplicationServices.GetRequiredService<IOptions<ListenersOptions>>().Value;
            var dataDirectory = kestrel.ApplicationServices.GetRequiredService<IOptions<ApplianceOptions>>().Value.DataDirectory;
            var logger = kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("BladeProvisioner.Appliance.Listeners");
            var provisioning = Feature(ListenerPlanes.Provisioning, options.Provisioning, bootNames);
            foreach (var address in options.Provisioning.BoundAddresses())
            {
                kestrel.Listen(address, options.Provisioning.Port, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1;
                    listen.Use(next => connection =>
                    {
                        connection.Features.Set(provisioning);
                        return next(connection);
                    });
                });
            }

            var certificate = ManagementCertificate.Obtain(options.Management, dataDirectory, TimeProvider.System, logger);
            var management = Feature(ListenerPlanes.Management, options.Management, []);
            foreach (var address in options.Management.BoundAddresses())
            {
                kestrel.Listen(address, options.Management.Port, listen =>
                {
                    listen.UseHttps(new HttpsConnectionAdapterOptions { ServerCertificate = certificate });
                    listen.Use(next => connection =>
                    {
                        connection.Features.Set(management);
                        return next(connection);
                    });
                });
            }

            LogBound(logger, Describe("http", options.Provisioning), Describe("https", options.Management));
        });

        builder.Services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(365);
            // Browsers ignore HSTS for IP literals anyway (RFC 6797 §8.1.1); only localhost stays out, for the other services on it.
            o.ExcludedHosts.Clear();
            o.ExcludedHosts.Add("localhost");
        });
        return builder;
    }

    /// <summary>The Host check, routing, the plane check (an endpoint answers only on the listeners it is served on), HSTS.</summary>
    public static WebApplication UseApplianceListeners(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("BladeProvisioner.Appliance.Listeners");
        app.Use(async (context, next) =>
        {
            var listener = context.Features.Get<ListenerPlaneFeature>();
            if (listener is null)
            {
                // Not accepted by one of the appliance's listeners (an endpoint bound some other way): nothing is served.
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            if (!listener.Admits(context.Request.Host.Host, context.Connection.LocalIpAddress))
            {
                LogForeignHost(logger, context.Request.Host.Value ?? string.Empty, listener.Plane, context.Connection.RemoteIpAddress);
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("Unknown host: this appliance answers only to its own names and addresses.\n");
                return;
            }

            await next(context);
        });
        app.UseRouting();
        app.Use(async (context, next) =>
        {
            var plane = context.Features.Get<ListenerPlaneFeature>()!.Plane;
            var endpoint = context.GetEndpoint();
            var servedOn = endpoint?.Metadata.GetMetadata<ServedOn>()?.Planes ?? ListenerPlanes.Management;
            if ((servedOn & plane) == ListenerPlanes.None)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await next(context);
        });
        app.UseHsts();
        return app;
    }

    private static ListenerPlaneFeature Feature(ListenerPlanes plane, ListenerOptions listener, IEnumerable<string> extraNames) =>
        new(plane, new[] { "localhost", Environment.MachineName }.Concat(listener.Names).Concat(extraNames), listener.BoundAddresses());

    private static string Describe(string scheme, ListenerOptions listener) =>
        string.Join(", ", listener.BoundAddresses().Select(a => $"{scheme}://{new IPEndPoint(a, listener.Port)}"));

    [LoggerMessage(EventId = ApplianceEventIds.ListenersBound, Level = LogLevel.Information,
        Message = "Provisioning listener (blades: /boot/**, health) on {Provisioning}; management listener (UI, API) on {Management}")]
    private static partial void LogBound(ILogger logger, string provisioning, string management);

    [LoggerMessage(EventId = ApplianceEventIds.ForeignHostRefused, Level = LogLevel.Debug,
        Message = "Refused a request for host '{Host}' on the {Plane} listener from {Remote}: not a name or address of this appliance")]
    private static partial void LogForeignHost(ILogger logger, string host, ListenerPlanes plane, IPAddress? remote);
}
