using BladeProvisioner.Core.Readiness;
using Hangfire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace BladeProvisioner.Jobs;

/// <summary>
/// Housekeeping of what boot traffic leaves behind, run by the engine as a recurring job (once per schedule in the
/// whole cluster): timeline events older than <see cref="RetentionOptions.Retention"/> (state transitions kept by
/// default), and boot tokens spent or expired for over an hour. Deletes in batches of
/// <see cref="RetentionOptions.BatchSize"/>, each its own statement, so no lock is held for long and the timeline
/// writer and the boot conversation never wait behind it.
/// </summary>
public sealed partial class RetentionSweep
{
    public const string RecurringJobId = "timeline.retention";

    private const string EventsSql = """
        DELETE FROM events WHERE id IN (
            SELECT id FROM events WHERE at < $1 AND ($2 = false OR kind <> 'blade.state') ORDER BY at LIMIT $3)
        """;

    // A token an hour past its expiry or its use can open nothing; the hour leaves the boot flow's own checks the
    // last word on tokens still in play.
    private const string TokensSql = """
        DELETE FROM boot_tokens WHERE token_hash IN (
            SELECT token_hash FROM boot_tokens WHERE expires_at < $1 OR used_at < $1 LIMIT $2)
        """;

    // Boot tickets likewise: an hour past expiry (spent ones too) they are only an audit trail of recent boots.
    private const string TicketsSql = """
        DELETE FROM boot_tickets WHERE token_hash IN (
            SELECT token_hash FROM boot_tickets WHERE expires_at < $1 LIMIT $2)
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly ApplianceReadiness _readiness;
    private readonly RetentionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RetentionSweep> _logger;

    internal RetentionSweep(NpgsqlDataSource dataSource, ApplianceReadiness readiness, IOptions<RetentionOptions> options, TimeProvider time, ILogger<RetentionSweep> logger)
    {
        _dataSource = dataSource;
        _readiness = readiness;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Deletes what is past its time; returns (events, tokens) deleted.</summary>
    [JobDisplayName("Timeline retention and spent boot tokens")]
    [DisableConcurrentExecution(600)]
    public async Task<(long Events, long Tokens)> SweepAsync(CancellationToken cancellationToken)
    {
        if (!_readiness.IsReady)
        {
            return (0, 0);
        }

        var now = _time.GetUtcNow();
        var events = await DeleteInBatchesAsync(EventsSql, [now - _options.Retention, _options.KeepStateTransitions], cancellationToken);
        var tokens = await DeleteInBatchesAsync(TokensSql, [now - TimeSpan.FromHours(1)], cancellationToken)
            + await DeleteInBatchesAsync(TicketsSql, [now - TimeSpan.FromHours(1)], cancellationToken);
        if (events + tokens > 0)
        {
            LogSwept(_logger, events, tokens, _options.Retention);
        }

        return (events, tokens);
    }

    private async Task<long> DeleteInBatchesAsync(string sql, object[] parameters, CancellationToken ct)
    {
        long total = 0;
        while (true)
        {
            await using var cmd = _dataSource.CreateCommand(sql);
            foreach (var p in parameters)
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = p });
            }

            cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _options.BatchSize });
            var deleted = await cmd.ExecuteNonQueryAsync(ct);
            total += deleted;
            if (deleted < _options.BatchSize)
            {
                return total;
            }
        }
    }

    [LoggerMessage(EventId = JobsEventIds.RetentionSwept, Level = LogLevel.Information, Message = "Retention: deleted {Events} timeline events older than {Retention} and {Tokens} spent boot tokens and tickets")]
    private static partial void LogSwept(ILogger logger, long events, long tokens, TimeSpan retention);
}
