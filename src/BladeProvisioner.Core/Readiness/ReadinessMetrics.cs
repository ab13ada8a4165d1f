using System.Diagnostics.Metrics;

namespace BladeProvisioner.Core.Readiness;

/// <summary>Answers held back from blades while the appliance is not ready, by the service that held them.</summary>
public static class ReadinessMetrics
{
    public const string MeterName = "BladeProvisioner.Readiness";
    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> HeldCounter = Meter.CreateCounter<long>(
        "bp.readiness.held", description: "Requests from blades held (not answered, or answered 'retry') while the appliance was not ready, by service");

    /// <summary>Creates the instrument now, so the exporter serves it before the first hold (called at start).</summary>
    public static void Publish() => GC.KeepAlive(HeldCounter);

    /// <param name="service">dhcp, tftp or boot.</param>
    public static void Held(string service) => HeldCounter.Add(1, new KeyValuePair<string, object?>("service", service));
}
