using System.Diagnostics.Metrics;

namespace BladeProvisioner.Storage.Cloning;

/// <summary>Clone instruments on the module's meter, <c>BladeProvisioner.Storage</c>.</summary>
internal static class CloneMetrics
{
    private static readonly Meter Meter = new("BladeProvisioner.Storage");

    public static readonly UpDownCounter<long> Active =
        Meter.CreateUpDownCounter<long>("bp.storage.clone.active", description: "Copies running now.");

    public static readonly Counter<long> Waiting =
        Meter.CreateCounter<long>("bp.storage.clone.waited", description: "Copies that had to wait for a slot.");

    public static readonly Counter<long> BytesWritten =
        Meter.CreateCounter<long>("bp.storage.clone.written", "By", "Data bytes written by copies.");

    public static readonly Counter<long> Completed =
        Meter.CreateCounter<long>("bp.storage.clone.completed", description: "Copies finished, by mode and outcome.");
}
