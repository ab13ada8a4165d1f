using System.Diagnostics;
using System.Diagnostics.Metrics;
using BladeProvisioner.Core.Configuration;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace BladeProvisioner.Appliance.Hosting;

/// <summary>
/// OpenTelemetry for the whole appliance. Metrics: every meter whose name starts with <c>BladeProvisioner.</c> (one per
/// module), ASP.NET Core's and HttpClient's request metrics and the .NET runtime's, served in the Prometheus text
/// format on <c>/metrics</c> by OpenTelemetry's exporter. Traces: the boot conversation and API requests (ASP.NET
/// Core), calls to BMCs (HttpClient) and job runs (<c>BladeProvisioner.Jobs</c>), exported over OTLP when
/// <see cref="TelemetryOptions.OtlpEndpoint"/> is set and not recorded at all otherwise.
/// A meter listener sees every meter of the process, so instruments made by another host's <see cref="IMeterFactory"/>
/// in the same process (an in-place restart, a test run) are dropped: an appliance reports its own gauges only.
/// </summary>
internal static class ApplianceTelemetry
{
    public const string MeterPattern = "BladeProvisioner.*";

    public static WebApplicationBuilder AddApplianceTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var appliance = builder.Configuration.GetSection(ApplianceOptions.Section).Get<ApplianceOptions>() ?? new ApplianceOptions();

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("bladeprovisioner", serviceInstanceId: appliance.ResolveNodeName()))
            .WithMetrics(m =>
            {
                ((IDeferredMeterProviderBuilder)m).Configure((services, b) => b.AddView(OwnInstrumentsOnly(services.GetRequiredService<IMeterFactory>())));
                m.AddMeter(MeterPattern)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddPrometheusExporter(p => p.ScrapeResponseCacheDurationMilliseconds = 0);
                if (options.OtlpEndpoint is not null && options.ExportMetrics)
                {
                    m.AddOtlpExporter(o => Otlp(o, options, "v1/metrics"));
                }
            });
        if (options.OtlpEndpoint is not null)
        {
            otel.WithTracing(t => t
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.TraceSampleRatio)))
                .AddSource(MeterPattern)
                .AddAspNetCoreInstrumentation(o =>
                {
                    o.Filter = http => !IsScrapeOrProbe(http.Request.Path);
                    o.EnrichWithHttpRequest = RedactSecretPath;
                })
                .AddHttpClientInstrumentation()
                .AddOtlpExporter(o => Otlp(o, options, "v1/traces")));
        }

        return builder;
    }

    /// <summary><c>/metrics</c>, open like the health probes (monitoring scrapes it without signing in).</summary>
    public static WebApplication MapMetrics(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    /// <summary>Drops an instrument whose meter another host's factory made; keeps this host's and static meters.</summary>
    private static Func<Instrument, MetricStreamConfiguration?> OwnInstrumentsOnly(IMeterFactory own) =>
        instrument => instrument.Meter.Scope is IMeterFactory factory && !ReferenceEquals(factory, own) ? MetricStreamConfiguration.Drop : null;

    /// <summary>
    /// A phone-home URL carries the clone's secret token in its path: its span keeps the route, never the token (the
    /// trace goes to a collector the appliance does not control).
    /// </summary>
    private static void RedactSecretPath(Activity activity, HttpRequest request)
    {
        if (request.Path.StartsWithSegments(PhoneHomePath, StringComparison.Ordinal))
        {
            activity.SetTag("url.path", PhoneHomePath + "/{token}");
        }
    }

    private static readonly string PhoneHomePath = Core.CloudInit.PhoneHomeToken.PathPrefix.TrimEnd('/');

    private static bool IsScrapeOrProbe(PathString path) =>
        path.StartsWithSegments("/metrics", StringComparison.Ordinal) || path.StartsWithSegments("/health", StringComparison.Ordinal);

    /// <summary>
    /// OTLP/HTTP posts each signal to its own path; an endpoint given as a bare collector address gets the path of the
    /// signal appended (the exporter uses an endpoint set in code as it is), a full URL is kept.
    /// </summary>
    private static void Otlp(OtlpExporterOptions o, TelemetryOptions options, string signalPath)
    {
        var endpoint = options.OtlpEndpoint!;
        if (options.OtlpProtocol == OtlpTransport.HttpProtobuf)
        {
            o.Protocol = OtlpExportProtocol.HttpProtobuf;
            o.Endpoint = endpoint.AbsolutePath is "" or "/" ? new Uri(endpoint, signalPath) : endpoint;
        }
        else
        {
            o.Protocol = OtlpExportProtocol.Grpc;
            o.Endpoint = endpoint;
        }
    }
}
