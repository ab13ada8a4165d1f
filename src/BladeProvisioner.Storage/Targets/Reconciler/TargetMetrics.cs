using System.Diagnostics.Metrics;

namespace BladeProvisioner.Storage.Targets.Reconciler;

internal static class TargetMetrics
{
    private static readonly Meter Meter = new("BladeProvisioner.Storage");

    public static readonly Counter<long> Passes = Meter.CreateCounter<long>(
        "bp.targets.reconcile.passes", description: "Reconcile passes completed");

    public static readonly Counter<long> Drift = Meter.CreateCounter<long>(
        "bp.targets.reconcile.drift", description: "Targets found missing, changed, unknown or removed (tag kind)");

    public static readonly Counter<long> Failures = Meter.CreateCounter<long>(
        "bp.targets.reconcile.failures", description: "Targets a pass could not repair");

    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "bp.targets.reconcile.duration", unit: "s", description: "Reconcile pass duration",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });

    public static readonly Counter<long> TgtdStarts = Meter.CreateCounter<long>(
        "bp.targets.tgtd.starts", description: "tgtd processes started by the supervisor");
}
