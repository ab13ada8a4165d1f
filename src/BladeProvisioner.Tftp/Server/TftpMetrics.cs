using System.Diagnostics.Metrics;

namespace BladeProvisioner.Tftp.Server;

/// <summary>Meter "BladeProvisioner.Tftp". Totals are also kept as fields so tests can read them without a listener.</summary>
internal sealed class TftpMetrics : IDisposable
{
    public const string MeterName = "BladeProvisioner.Tftp";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _started;
    private readonly Counter<long> _completed;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _bytesSent;
    private readonly Counter<long> _retransmits;
    private readonly Counter<long> _malformed;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _expired;
    private readonly UpDownCounter<long> _active;
    private long _startedTotal;
    private long _completedTotal;
    private long _failedTotal;
    private long _retransmitsTotal;
    private long _malformedDroppedTotal;
    private long _malformedAnsweredTotal;
    private long _activeNow;
    private long _refusedBusyTotal;
    private long _refusedClientLimitTotal;
    private long _expiredTotal;

    public TftpMetrics(IMeterFactory? meterFactory = null)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _started = _meter.CreateCounter<long>("bp.tftp.transfers.started", description: "Read requests accepted");
        _completed = _meter.CreateCounter<long>("bp.tftp.transfers.completed", description: "Transfers whose last block was acknowledged");
        _failed = _meter.CreateCounter<long>("bp.tftp.transfers.failed", description: "Transfers that ended without completing");
        _bytesSent = _meter.CreateCounter<long>("bp.tftp.sent", unit: "By", description: "File bytes sent, retransmissions included");
        _retransmits = _meter.CreateCounter<long>("bp.tftp.retransmits", description: "DATA/OACK packets sent again");
        _malformed = _meter.CreateCounter<long>("bp.tftp.packets.malformed", description: "Malformed or unexpected packets, by action");
        _refused = _meter.CreateCounter<long>("bp.tftp.transfers.refused", description: "Read requests refused for a transfer limit, by limit");
        _expired = _meter.CreateCounter<long>("bp.tftp.transfers.expired", description: "Transfers ended for running longer than Tftp:MaxTransferDuration");
        _active = _meter.CreateUpDownCounter<long>("bp.tftp.sessions.active", description: "Transfers in progress");
    }

    public long Started => Interlocked.Read(ref _startedTotal);
    public long Completed => Interlocked.Read(ref _completedTotal);
    public long Failed => Interlocked.Read(ref _failedTotal);
    public long Retransmits => Interlocked.Read(ref _retransmitsTotal);
    public long MalformedDroppedCount => Interlocked.Read(ref _malformedDroppedTotal);
    public long MalformedAnsweredCount => Interlocked.Read(ref _malformedAnsweredTotal);
    public long Active => Interlocked.Read(ref _activeNow);
    public long RefusedBusyCount => Interlocked.Read(ref _refusedBusyTotal);
    public long RefusedClientLimitCount => Interlocked.Read(ref _refusedClientLimitTotal);
    public long Expired => Interlocked.Read(ref _expiredTotal);

    public void TransferStarted()
    {
        Interlocked.Increment(ref _startedTotal);
        Interlocked.Increment(ref _activeNow);
        _started.Add(1);
        _active.Add(1);
    }

    public void TransferEnded(bool completed)
    {
        Interlocked.Decrement(ref _activeNow);
        _active.Add(-1);
        if (completed)
        {
            Interlocked.Increment(ref _completedTotal);
            _completed.Add(1);
        }
        else
        {
            Interlocked.Increment(ref _failedTotal);
            _failed.Add(1);
        }
    }

    public void BytesSent(long bytes) => _bytesSent.Add(bytes);

    public void Retransmitted(int packets)
    {
        Interlocked.Add(ref _retransmitsTotal, packets);
        _retransmits.Add(packets);
    }

    public void MalformedDropped()
    {
        Interlocked.Increment(ref _malformedDroppedTotal);
        _malformed.Add(1, new KeyValuePair<string, object?>("action", "dropped"));
    }

    public void MalformedAnswered()
    {
        Interlocked.Increment(ref _malformedAnsweredTotal);
        _malformed.Add(1, new KeyValuePair<string, object?>("action", "answered"));
    }

    /// <summary>A read request refused because all slots were taken (server) or its address holds its share (client).</summary>
    public void TransferRefused(bool clientLimit)
    {
        Interlocked.Increment(ref clientLimit ? ref _refusedClientLimitTotal : ref _refusedBusyTotal);
        _refused.Add(1, new KeyValuePair<string, object?>("limit", clientLimit ? "client" : "server"));
    }

    public void TransferExpired()
    {
        Interlocked.Increment(ref _expiredTotal);
        _expired.Add(1);
    }

    public void Dispose()
    {
        // A meter from IMeterFactory belongs to the factory.
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
