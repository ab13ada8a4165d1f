using System.Threading.Channels;
using BladeProvisioner.Dhcp.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BladeProvisioner.Dhcp.Leases;

/// <summary>
/// Leases in PostgreSQL with group commit: one writer collects the commits that arrive while the previous
/// transaction is in flight (and for at most the group-commit window) and applies them as one statement in one
/// transaction. Each caller's task completes only after COMMIT returned, so an ACK is never sent for a lease that
/// is not durable. Who wins an address is decided by the conditional upsert on UNIQUE (scope, address), so two
/// nodes sharing the database can never both bind it.
/// </summary>
internal sealed partial class PostgresLeaseStore : ILeaseStore, IAsyncDisposable
{
    private const int MaxBatch = 2048;
    private readonly NpgsqlDataSource _dataSource;
    private readonly DhcpMetrics _metrics;
    private readonly ILogger<PostgresLeaseStore> _logger;
    private readonly TimeSpan _window;
    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _writer;

    public PostgresLeaseStore(NpgsqlDataSource dataSource, DhcpMetrics metrics, ILogger<PostgresLeaseStore> logger, TimeSpan groupCommitWindow)
    {
        _dataSource = dataSource;
        _metrics = metrics;
        _logger = logger;
        _window = groupCommitWindow;
        _writer = Task.Run(WriterLoopAsync);
    }

    public async Task<IReadOnlyList<LeaseRecord>> LoadAsync(CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand(LeaseSql.SelectAll);
        return await LeaseSql.ReadRecordsAsync(cmd, cancellationToken);
    }

    public ValueTask<bool> CommitAsync(LeaseWrite write, CancellationToken cancellationToken)
    {
        var pending = new PendingWrite(write);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(PostgresLeaseStore));
        }

        return new ValueTask<bool>(pending.Completion.Task.WaitAsync(cancellationToken));
    }

    public async Task<IReadOnlyList<LeaseRecord>> ReclaimExpiredAsync(CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand(LeaseSql.ReclaimExpired);
        return await LeaseSql.ReadRecordsAsync(cmd, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync();
        try
        {
            await _writer;
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        _stop.Dispose();
    }

    private async Task WriterLoopAsync()
    {
        var batch = new List<PendingWrite>(256);
        var reader = _queue.Reader;
        NpgsqlConnection? connection = null;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token))
            {
                Drain(reader, batch);
                if (_window > TimeSpan.Zero && batch.Count < MaxBatch && batch.Count < 16)
                {
                    await Task.Delay(_window, _stop.Token);
                    Drain(reader, batch);
                }

                try
                {
                    connection ??= await _dataSource.OpenConnectionAsync(_stop.Token);
                    var won = await LeaseSql.ApplyBatchAsync(connection, batch, _stop.Token);
                    _metrics.LeaseBatchCommitted(batch.Count);
                    for (int i = 0; i < batch.Count; i++)
                    {
                        batch[i].Completion.TrySetResult(won[i]);
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
                {
                    // Nothing in this batch is durable: fail every caller (no ACK is sent) and start over on a new connection.
                    LogCommitFailed(_logger, batch.Count, ex);
                    _metrics.LeaseCommitFailed(batch.Count);
                    foreach (var p in batch)
                    {
                        p.Completion.TrySetException(new LeaseStoreUnavailableException("The lease database did not commit.", ex));
                    }

                    if (connection is not null)
                    {
                        await connection.DisposeAsync();
                        connection = null;
                    }
                }

                batch.Clear();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        finally
        {
            foreach (var p in batch)
            {
                p.Completion.TrySetCanceled();
            }

            while (reader.TryRead(out var p))
            {
                p.Completion.TrySetCanceled();
            }

            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static void Drain(ChannelReader<PendingWrite> reader, List<PendingWrite> batch)
    {
        while (batch.Count < MaxBatch && reader.TryRead(out var p))
        {
            batch.Add(p);
        }
    }

    [LoggerMessage(EventId = DhcpEventIds.LeaseCommitFailed, Level = LogLevel.Warning, Message = "Lease commit of {Count} writes failed; no ACK is sent for them")]
    private static partial void LogCommitFailed(ILogger logger, int count, Exception exception);
}
