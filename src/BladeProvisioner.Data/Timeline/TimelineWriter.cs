using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;
using BladeProvisioner.Core.Timeline;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace BladeProvisioner.Data.Timeline;

/// <summary>
/// Queues timeline records and writes them in batches. The blade is resolved in SQL: by id, else by boot MAC, else by
/// the address it holds a bound lease on. A full queue drops the newest records and counts them; a protocol loop is
/// never slowed down by the timeline.
/// </summary>
internal sealed partial class TimelineWriter : BackgroundService, ITimeline
{
    private const int Capacity = 20_000;
    private const int BatchSize = 500;

    private const string InsertSql = """
        INSERT INTO events (at, actor, kind, summary, details, blade_id, job_id, donor_image_id, boot_volume_id)
        VALUES ($1, $2, $3, $4, $5,
                COALESCE($6,
                         (SELECT id FROM blades WHERE boot_mac = $7),
                         (SELECT blade_id FROM dhcp_leases WHERE address = $8 AND state = 'Bound' ORDER BY updated_at DESC LIMIT 1)),
                $9, $10, $11)
        """;

    private readonly Channel<TimelineRecord> _queue = Channel.CreateBounded<TimelineRecord>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly ILogger<TimelineWriter> _logger;
    private readonly Counter<long> _written;
    private readonly Counter<long> _dropped;

    public TimelineWriter(NpgsqlDataSource dataSource, TimeProvider time, ILogger<TimelineWriter> logger, IMeterFactory meters)
    {
        _dataSource = dataSource;
        _time = time;
        _logger = logger;
        var meter = meters.Create("BladeProvisioner.Timeline");
        _written = meter.CreateCounter<long>("bp.timeline.events.written", description: "Timeline events stored");
        _dropped = meter.CreateCounter<long>("bp.timeline.events.dropped", description: "Timeline events dropped because the queue was full");
    }

    public void Record(TimelineRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.At is null)
        {
            record = record with { At = _time.GetUtcNow() };
        }

        if (!_queue.Writer.TryWrite(record))
        {
            _dropped.Add(1);
        }
    }

    /// <summary>Waits until everything queued so far is written (tests and shutdown).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (_queue.Reader.Count > 0 || _inFlight > 0)
        {
            await Task.Delay(10, cancellationToken);
        }
    }

    private int _inFlight;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<TimelineRecord>(BatchSize);
        while (await WaitAsync(stoppingToken))
        {
            Interlocked.Increment(ref _inFlight);
            try
            {
                while (batch.Count < BatchSize && _queue.Reader.TryRead(out var r))
                {
                    batch.Add(r);
                }

                await WriteWithRetryAsync(batch, stoppingToken);
            }
            finally
            {
                batch.Clear();
                Interlocked.Decrement(ref _inFlight);
            }
        }

        // Shutting down: write what is left, best effort.
        while (_queue.Reader.TryRead(out var r))
        {
            batch.Add(r);
        }

        if (batch.Count > 0)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await WriteWithRetryAsync(batch, cts.Token);
        }
    }

    private async Task<bool> WaitAsync(CancellationToken ct)
    {
        try
        {
            return await _queue.Reader.WaitToReadAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task WriteWithRetryAsync(List<TimelineRecord> batch, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await WriteAsync(batch, ct);
                _written.Add(batch.Count);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException && attempt < 5 && !ct.IsCancellationRequested)
            {
                LogRetry(_logger, attempt, ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or OperationCanceledException)
            {
                _dropped.Add(batch.Count);
                LogDropped(_logger, batch.Count, ex.Message);
                return;
            }
        }
    }

    private async Task WriteAsync(List<TimelineRecord> batch, CancellationToken ct)
    {
        await using var conn = await _dataSource.OpenConnectionAsync(ct);
        await using var npgBatch = new NpgsqlBatch(conn);
        foreach (var r in batch)
        {
            var cmd = new NpgsqlBatchCommand(InsertSql);
            cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = r.At!.Value.ToUniversalTime() });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = r.Actor });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = r.Kind });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = r.Summary });
            cmd.Parameters.Add(new NpgsqlParameter { Value = r.Details is null ? DBNull.Value : JsonSerializer.Serialize(r.Details), NpgsqlDbType = NpgsqlDbType.Jsonb });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)r.BladeId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)r.Mac ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)r.Address ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Inet });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)r.JobId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)r.DonorImageId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)r.BootVolumeId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            npgBatch.BatchCommands.Add(cmd);
        }

        await npgBatch.ExecuteNonQueryAsync(ct);
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Timeline write failed (attempt {Attempt}): {Reason}")]
    private static partial void LogRetry(ILogger logger, int attempt, string reason);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Error, Message = "Dropped {Count} timeline events: {Reason}")]
    private static partial void LogDropped(ILogger logger, int count, string reason);
}
