using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace BladeProvisioner.Power.Diagnostics;

/// <summary>Meter "BladeProvisioner.Power": restarts by driver and outcome (a stable error code on failure), and their duration.</summary>
internal sealed class PowerMetrics : IDisposable
{
    public const string MeterName = "BladeProvisioner.Power";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _restarts;
    private readonly Histogram<double> _duration;

    public PowerMetrics(IMeterFactory? meterFactory = null)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _restarts = _meter.CreateCounter<long>("bp.power.restarts", description: "Restart requests, by driver and outcome");
        _duration = _meter.CreateHistogram(
            "bp.power.restart.duration", unit: "s", description: "Time to set the boot device and restart",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
    }

    public void Restarted(string driver, string outcome, TimeSpan elapsed)
    {
        var tags = new TagList { { "driver", driver }, { "outcome", outcome } };
        _restarts.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
