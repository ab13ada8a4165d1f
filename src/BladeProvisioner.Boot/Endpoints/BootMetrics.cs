using System.Diagnostics.Metrics;

namespace BladeProvisioner.Boot.Endpoints;

/// <summary>Meter <c>BladeProvisioner.Boot</c>: who was turned away from the boot conversation, and why.</summary>
public sealed class BootMetrics : IDisposable
{
    public const string MeterName = "BladeProvisioner.Boot";
    private readonly Meter _meter;
    private readonly Counter<long> _denied;
    private readonly Counter<long> _phoneHomeRefused;

    public BootMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _denied = _meter.CreateCounter<long>("bp.boot.denied", description: "Boot requests refused, by reason");
        _phoneHomeRefused = _meter.CreateCounter<long>("bp.cloudinit.phone_home.refused", description: "cloud-init phone-home posts refused (unknown token or instance)");
    }

    /// <summary><paramref name="reason"/>: <c>no-ticket</c>, <c>bad-ticket</c>, <c>bad-token</c>.</summary>
    public void Denied(string reason) => _denied.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary><paramref name="reason"/>: <c>bad-token</c> (unknown or malformed), <c>stale-instance</c>.</summary>
    public void PhoneHomeRefused(string reason) => _phoneHomeRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Dispose() => _meter.Dispose();
}
