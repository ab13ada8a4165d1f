using System.Diagnostics.Metrics;

namespace BladeProvisioner.Storage.Targets.Sessions;

/// <summary>The session observer's series on the module's meter: sessions open now on this node, logins and logouts seen.</summary>
internal sealed class SessionMetrics
{
    private static readonly Meter StaticMeter = new("BladeProvisioner.Storage");

    public static readonly Counter<long> Logins =
        StaticMeter.CreateCounter<long>("bp.targets.logins", description: "Blades' iSCSI logins seen on this node's targets");

    public static readonly Counter<long> Logouts =
        StaticMeter.CreateCounter<long>("bp.targets.logouts", description: "Blades' iSCSI sessions seen gone from this node's targets");

    private long _sessions;

    public SessionMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);

        // Published from the start, not only once the first login is seen.
        _ = Logins;
        _ = Logouts;
        var meter = meters.Create("BladeProvisioner.Storage");
        meter.CreateObservableGauge("bp.targets.sessions", () => Interlocked.Read(ref _sessions), description: "Blades' iSCSI sessions open on this node's targets at the last poll");
    }

    public long Sessions
    {
        get => Interlocked.Read(ref _sessions);
        set => Interlocked.Exchange(ref _sessions, value);
    }
}
