using System.Diagnostics.Metrics;

namespace BladeProvisioner.Boot.Endpoints;

/// <summary>Meter <c>BladeProvisioner.Boot</c>: who was turned away from the boot conversation, and why.</summary>
public sealed class BootMetrics : IDisposable
{
    public const string MeterName = "BladeProvisioner.Boot";
    private readonly Meter _meter;
    private readonly Counter<long> _denied;

    public BootMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _denied = _meter.CreateCounter<long>("bp.boot.denied", description: "Boot requests refused, by reason");
    }

    /// <summary><paramref name="reason"/>: <c>no-ticket</c>, <c>bad-ticket</c>, <c>bad-token</c>.</summary>
    public void Denied(string reason) => _denied.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Dispose() => _meter.Dispose();
}
