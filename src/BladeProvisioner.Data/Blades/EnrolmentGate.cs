using System.Diagnostics.Metrics;
using BladeProvisioner.Core.Blades;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Data.Blades;

/// <summary>
/// The per-source enrolment rate (a token bucket per source) and the bookkeeping of refusals: every refusal counts in
/// <c>bp.enrolment.refused</c>, and one report per <see cref="EnrolmentOptions.RefusalReportInterval"/> sums them up
/// for the log and the timeline, so a flood of new MACs writes a line a minute rather than one per packet.
/// The bucket table is itself bounded: full buckets (sources quiet for a minute) are dropped, and past
/// <see cref="MaxSources"/> the sources not yet tracked share one bucket.
/// </summary>
internal sealed class EnrolmentGate
{
    public const int MaxSources = 4096;
    private const string OverflowSource = "(other sources)";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly EnrolmentOptions _options;
    private readonly Counter<long> _refused;
    private int _capRefusals;
    private int _rateRefusals;
    private DateTimeOffset _lastReport = DateTimeOffset.MinValue;

    public EnrolmentGate(IOptions<EnrolmentOptions> options, IMeterFactory meters)
    {
        _options = options.Value;
        var meter = meters.Create("BladeProvisioner.Enrolment");
        _refused = meter.CreateCounter<long>("bp.enrolment.refused", description: "New MACs not enrolled, by the limit that refused them");
    }

    public int MaxUnclaimed => _options.MaxUnclaimedBlades;

    /// <summary>The source a sighting is charged to: the chassis (relay remote-id), unrelayed DHCP, or the HTTP client.</summary>
    public static string SourceOf(BladeSighting sighting)
    {
        ArgumentNullException.ThrowIfNull(sighting);
        if (sighting.Source == "boot")
        {
            return "http " + (sighting.Address?.ToString() ?? "?");
        }

        return sighting.RelayRemoteId is { Length: > 0 } chassis ? "relay " + (chassis.Length > 64 ? chassis[..64] : chassis)
            : sighting.RelayCircuitId is not null ? "relay" : "dhcp";
    }

    /// <summary>Takes one enrolment from the source's bucket; false when it is empty.</summary>
    public bool TryTake(string source, DateTimeOffset now)
    {
        double capacity = _options.PerSourcePerMinute;
        double perSecond = capacity / 60.0;
        lock (_lock)
        {
            if (!_buckets.TryGetValue(source, out var bucket))
            {
                if (_buckets.Count >= MaxSources)
                {
                    Prune(now, capacity, perSecond);
                }

                if (_buckets.Count >= MaxSources)
                {
                    source = OverflowSource;
                }

                bucket = _buckets.TryGetValue(source, out var shared) ? shared : new Bucket { Tokens = capacity, At = now };
            }

            bucket.Tokens = Math.Min(capacity, bucket.Tokens + (Math.Max(0, (now - bucket.At).TotalSeconds) * perSecond));
            bucket.At = now;
            bool taken = bucket.Tokens >= 1;
            if (taken)
            {
                bucket.Tokens -= 1;
            }

            _buckets[source] = bucket;
            return taken;
        }
    }

    /// <summary>Counts a refusal; returns the summary to report when a report is due (null otherwise).</summary>
    public RefusalReport? Refused(string limit, DateTimeOffset now)
    {
        _refused.Add(1, new KeyValuePair<string, object?>("limit", limit));
        lock (_lock)
        {
            if (limit == EnrolmentRefusedException.CapLimit)
            {
                _capRefusals++;
            }
            else
            {
                _rateRefusals++;
            }

            if (now - _lastReport < _options.RefusalReportInterval)
            {
                return null;
            }

            var report = new RefusalReport(_capRefusals, _rateRefusals, _lastReport == DateTimeOffset.MinValue ? null : _lastReport);
            _capRefusals = 0;
            _rateRefusals = 0;
            _lastReport = now;
            return report;
        }
    }

    public int TrackedSources
    {
        get
        {
            lock (_lock)
            {
                return _buckets.Count;
            }
        }
    }

    private void Prune(DateTimeOffset now, double capacity, double perSecond)
    {
        foreach (var (key, b) in _buckets)
        {
            if (b.Tokens + ((now - b.At).TotalSeconds * perSecond) >= capacity)
            {
                _buckets.Remove(key);
            }
        }
    }

    private sealed class Bucket
    {
        public double Tokens { get; set; }
        public DateTimeOffset At { get; set; }
    }
}

/// <summary>Refusals since the last report (<paramref name="Since"/>, null for the first).</summary>
internal sealed record RefusalReport(int Cap, int Rate, DateTimeOffset? Since);
