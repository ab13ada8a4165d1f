using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Appliance.Hosting;

/// <summary>Section <c>Telemetry</c>: metrics are always served on <c>/metrics</c>; export over OTLP only when configured.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>
    /// An OpenTelemetry collector, e.g. <c>http://collector:4317</c> (gRPC) or <c>http://collector:4318</c> with
    /// <see cref="OtlpProtocol"/> <c>HttpProtobuf</c>. Unset (the default): no traces are recorded and nothing is sent.
    /// </summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary><c>Grpc</c> (default) or <c>HttpProtobuf</c>.</summary>
    public OtlpTransport OtlpProtocol { get; set; } = OtlpTransport.Grpc;

    /// <summary>Also push the metrics over OTLP (they are served on <c>/metrics</c> either way).</summary>
    public bool ExportMetrics { get; set; }

    /// <summary>Share of traces kept (parent-based): 1 keeps every boot conversation, clone and API request.</summary>
    [Range(0.0, 1.0)]
    public double TraceSampleRatio { get; set; } = 1.0;
}

/// <summary>How OTLP is carried.</summary>
public enum OtlpTransport
{
    Grpc,
    HttpProtobuf,
}
