using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using BladeProvisioner.Dhcp.Protocol;

namespace BladeProvisioner.Dhcp.Diagnostics;

/// <summary>Meter <c>BladeProvisioner.Dhcp</c>.</summary>
internal sealed class DhcpMetrics : IDisposable
{
    public const string MeterName = "BladeProvisioner.Dhcp";
    private readonly Meter _meter;
    private readonly Counter<long> _received;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _naks;
    private readonly Counter<long> _commits;
    private readonly Counter<long> _commitFailures;
    private readonly Histogram<int> _batchSize;
    private readonly Counter<long> _probes;
    private readonly ConcurrentDictionary<string, long> _droppedByReason = new(StringComparer.Ordinal);
    private long _droppedTotal;

    public DhcpMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _received = _meter.CreateCounter<long>("bp.dhcp.packets.received", description: "DHCP requests accepted, by message type");
        _sent = _meter.CreateCounter<long>("bp.dhcp.replies.sent", description: "Replies sent, by message type");
        _dropped = _meter.CreateCounter<long>("bp.dhcp.packets.dropped", description: "Packets dropped, by reason");
        _naks = _meter.CreateCounter<long>("bp.dhcp.naks", description: "DHCPNAKs sent");
        _commits = _meter.CreateCounter<long>("bp.dhcp.lease.commits", description: "Lease writes made durable");
        _commitFailures = _meter.CreateCounter<long>("bp.dhcp.lease.commit_failures", description: "Lease writes the database did not commit");
        _batchSize = _meter.CreateHistogram(
            "bp.dhcp.lease.batch_size", unit: "{lease}", description: "Lease writes per group commit",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });
        _probes = _meter.CreateCounter<long>("bp.dhcp.probes", description: "Probe-before-offer results");
    }

    /// <summary>Total dropped packets, for tests and the status page.</summary>
    public long DroppedTotal => Interlocked.Read(ref _droppedTotal);

    /// <summary>Dropped packets with one reason, for tests and the status page.</summary>
    public long DroppedFor(string reason) => _droppedByReason.GetValueOrDefault(reason);

    public void Received(DhcpMessageType type) => _received.Add(1, new KeyValuePair<string, object?>("type", type.ToString()));

    public void Sent(DhcpMessageType type)
    {
        _sent.Add(1, new KeyValuePair<string, object?>("type", type.ToString()));
        if (type == DhcpMessageType.Nak)
        {
            _naks.Add(1);
        }
    }

    public void Dropped(string reason)
    {
        Interlocked.Increment(ref _droppedTotal);
        _droppedByReason.AddOrUpdate(reason, 1, static (_, n) => n + 1);
        _dropped.Add(1, new KeyValuePair<string, object?>("reason", reason));
    }

    public void LeaseBatchCommitted(int count)
    {
        _commits.Add(count);
        _batchSize.Record(count);
    }

    public void LeaseCommitFailed(int count) => _commitFailures.Add(count);

    public void Probe(bool inUse) => _probes.Add(1, new KeyValuePair<string, object?>("result", inUse ? "in_use" : "free"));

    public void Dispose() => _meter.Dispose();
}
