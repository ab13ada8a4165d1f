using BladeProvisioner.Core.Readiness;
using Hangfire;
using Hangfire.States;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BladeProvisioner.Jobs;

/// <summary>
/// The safety net under the engine's own recovery, run by the engine as a recurring job (once per interval in the
/// whole cluster): any Queued or Running job row that no live node is executing (its advisory lock is free) and whose
/// engine job is no longer alive (never created, finished, deleted or expired) is handed to the engine again. Covers a
/// node that died between writing a job row and enqueueing it, an engine job deleted from the dashboard, and an engine
/// schema restored from an older backup than the jobs table.
/// </summary>
public sealed partial class JobRecoverySweep
{
    public const string RecurringJobId = "jobs.recovery-sweep";

    /// <summary>
    /// Rows touched in the last few seconds are still being enqueued by their creator. The job lock is the 64-bit
    /// advisory key 0x42504A00_00000000 | id, which pg_locks shows as classid = high half, objid = low half.
    /// </summary>
    private const string CandidatesSql = """
        SELECT j.id, j.engine_job_id FROM jobs j
        WHERE j.state IN ('Queued', 'Running')
          AND j.updated_at < now() - interval '5 seconds'
          AND NOT EXISTS (SELECT 1 FROM pg_locks l
                          WHERE l.locktype = 'advisory' AND l.objsubid = 1
                            AND l.classid = x'42504A00'::bigint::oid
                            AND l.objid = j.id::oid)
        ORDER BY j.id
        LIMIT 100
        """;

    private static readonly HashSet<string> AliveStates = new(StringComparer.Ordinal)
    {
        EnqueuedState.StateName, ProcessingState.StateName, ScheduledState.StateName, AwaitingState.StateName,
    };

    private readonly NpgsqlDataSource _dataSource;
    private readonly JobStorage _storage;
    private readonly JobService _jobs;
    private readonly ApplianceReadiness _readiness;
    private readonly ILogger<JobRecoverySweep> _logger;

    internal JobRecoverySweep(
        NpgsqlDataSource dataSource, JobStorage storage, JobService jobs, ApplianceReadiness readiness, ILogger<JobRecoverySweep> logger)
    {
        _dataSource = dataSource;
        _storage = storage;
        _jobs = jobs;
        _readiness = readiness;
        _logger = logger;
    }

    /// <summary>Hands every orphaned row to the engine; returns how many.</summary>
    [JobDisplayName("Recovery sweep of the jobs table")]
    [DisableConcurrentExecution(60)]
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        if (!_readiness.IsReady)
        {
            LogSkipped(_logger);
            return 0;
        }

        var candidates = new List<(long Id, string? EngineId)>();
        try
        {
            await using var cmd = _dataSource.CreateCommand(CandidatesSql);
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await r.ReadAsync(cancellationToken))
            {
                candidates.Add((r.GetInt64(0), r.IsDBNull(1) ? null : r.GetString(1)));
            }
        }
        catch (NpgsqlException ex)
        {
            LogSweepFailed(_logger, ex.Message);
            throw;
        }

        var orphans = 0;
        using var connection = _storage.GetConnection();
        foreach (var (id, engineId) in candidates)
        {
            var state = engineId is null ? null : connection.GetJobData(engineId)?.State;
            if (state is not null && AliveStates.Contains(state))
            {
                continue;
            }

            LogRescheduling(_logger, id, state ?? "none");
            await _jobs.ScheduleAsync(id, cancellationToken);
            orphans++;
        }

        return orphans;
    }

    [LoggerMessage(EventId = JobsEventIds.Rescheduling, Level = LogLevel.Warning, Message = "Job {JobId} had no live engine job (engine state {State}) and no runner; enqueueing it again")]
    private static partial void LogRescheduling(ILogger logger, long jobId, string state);

    [LoggerMessage(EventId = JobsEventIds.SweepFailed, Level = LogLevel.Warning, Message = "Job recovery sweep failed: {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = JobsEventIds.SweepSkipped, Level = LogLevel.Debug, Message = "Job recovery sweep skipped: the appliance is not ready")]
    private static partial void LogSkipped(ILogger logger);
}
