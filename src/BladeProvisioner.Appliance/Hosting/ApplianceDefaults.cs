using BladeProvisioner.Appliance.Hosting.Listeners;
using BladeProvisioner.Appliance.Hosting.Readiness;
using BladeProvisioner.Core.Boot;
using BladeProvisioner.Core.Configuration;
using BladeProvisioner.Core.Hosting;
using BladeProvisioner.Core.Readiness;
using BladeProvisioner.Storage.Capacity;
using BladeProvisioner.Tftp;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BladeProvisioner.Appliance.Hosting;

internal static class ApplianceDefaults
{
    /// <summary>Logging, metrics and the data directory; the modules add the rest.</summary>
    public static WebApplicationBuilder AddApplianceDefaults(this WebApplicationBuilder builder)
    {
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fff ";
            o.UseUtcTimestamp = true;
        });
        // The TFTP root lives in the data directory unless configured elsewhere; it is seeded with the iPXE binaries.
        var appliance = builder.Configuration.GetSection(ApplianceOptions.Section).Get<ApplianceOptions>() ?? new ApplianceOptions();
        var tftpRoot = IpxeBinaries.TftpRoot(builder.Configuration, appliance);
        builder.Configuration[$"{TftpOptions.SectionName}:{nameof(TftpOptions.Root)}"] = tftpRoot;
        builder.Services.PostConfigure<BootOptions>(o => o.LoaderDirectory ??= tftpRoot);
        builder.Services.AddHostedService<IpxeBinaries>();
        builder.Services.AddSingleton<ApplianceMetrics>();
        builder.Services.AddOptions<ReadinessOptions>().BindConfiguration(ReadinessOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHostedService<ReadinessMonitor>();
        builder.AddApplianceTelemetry();
        return builder;
    }

    public static WebApplication UseApplianceDefaults(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        // Blades are answered only while the appliance is ready: once the database and target state are restored, and
        // not while a dependency is down. A held iPXE request gets a script that waits and asks again.
        var readiness = app.Services.GetRequiredService<ApplianceReadiness>();
        app.Use(async (context, next) =>
        {
            if (!readiness.IsReady && context.Request.Path.StartsWithSegments(BootUrls.Prefix, StringComparison.Ordinal))
            {
                ReadinessMetrics.Held("boot");
                var why = readiness.HasStarted ? "is not ready (" + string.Join(", ", readiness.Pending) + " down)" : "is starting";
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.RetryAfter = "5";
                await context.Response.WriteAsync($"#!ipxe\necho The provisioning appliance {why}; retrying in 5 s\nsleep 5\nchain ${{0}}\n");
                return;
            }

            await next(context);
        });
        _ = app.Services.GetRequiredService<ApplianceMetrics>();
        return app;
    }

    /// <summary><c>/health/live</c>, <c>/health/ready</c> and <c>/metrics</c> (Prometheus text, from OpenTelemetry).</summary>
    public static WebApplication MapHealthAndMetrics(this WebApplication app)
    {
        // Health answers on both listeners (a load balancer in front of the blades probes the provisioning one); metrics
        // describe the whole fleet and are served on the management listener only.
        app.MapGet("/health/live", () => TypedResults.Ok(new { status = "live" })).WithTags("Health").ExcludeFromDescription()
            .WithMetadata(new ServedOn(ListenerPlanes.Both));
        // Low space is "degraded" and still 200: blades booting from their volumes must be answered; only new clones,
        // imports and uploads are refused (StorageCapacity). The capacity report is information beside the gates; the
        // blades' listener names only the roles that are low, the management listener adds paths and figures.
        app.MapGet("/health/ready", Results<Ok<ReadyStatus>, JsonHttpResult<ReadyStatus>> (ApplianceReadiness readiness, StorageCapacity capacity, HttpContext http) =>
        {
            var detailed = (http.Features.Get<ListenerPlaneFeature>()?.Plane & ListenerPlanes.Management) == ListenerPlanes.Management;
            var status = ReadyStatus.Of(readiness) with { Capacity = CapacityStatus.Of(capacity, detailed) };
            return readiness.IsReady
                ? TypedResults.Ok(status.Capacity.Low.Count > 0 ? status with { Status = "degraded" } : status)
                : TypedResults.Json(status, statusCode: StatusCodes.Status503ServiceUnavailable);
        })
            .WithTags("Health").ExcludeFromDescription().WithMetadata(new ServedOn(ListenerPlanes.Both));
        app.MapMetrics();
        return app;
    }

    /// <summary>
    /// <c>status</c>: <c>ready</c>, <c>degraded</c> (ready, but a filesystem is inside its reserve: new work is refused),
    /// <c>starting</c> (a start-up gate is closed) or <c>unavailable</c> (a dependency is down); <c>pending</c>: every gate
    /// or dependency holding readiness; <c>failing</c>: the dependencies down, why and since when; <c>capacity</c>: space
    /// per filesystem role.
    /// </summary>
    internal sealed record ReadyStatus(string Status, IReadOnlyList<string> Pending, IReadOnlyList<ReadinessFault> Failing)
    {
        public CapacityStatus? Capacity { get; init; }

        public static ReadyStatus Of(ApplianceReadiness readiness) =>
            readiness.IsReady ? new("ready", [], [])
            : new(readiness.HasStarted ? "unavailable" : "starting", readiness.Pending, readiness.Faults);
    }
}
