using BladeProvisioner.Core.Readiness;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Quartz;

namespace BladeProvisioner.Jobs;

/// <summary>
/// The safety net under Quartz's own recovery: every so often, any Queued or Running job row that no live node is
/// executing (its advisory lock is free) and that has no pending trigger gets a new trigger. Covers a node that died
/// between writing a job row and scheduling it, and a job store restored from a backup.
/// </summary>
internal sealed partial class JobRecoveryService(
    NpgsqlDataSource dataSource,
    ISchedulerFactory schedulers,
    ApplianceReadiness readiness,
    ILogger<JobRecoveryService> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Rows created in the last few seconds are still being scheduled by their creator. The job lock is the 64-bit
    /// advisory key 0x42504A00_00000000 | id, which pg_locks shows as classid = high half, objid = low half.
    /// </summary>
    private const string OrphansSql = """
        SELECT j.id FROM jobs j
        WHERE j.state IN ('Queued', 'Running')
          AND j.updated_at < now() - interval '5 seconds'
          AND NOT EXISTS (SELECT 1 FROM pg_locks l
                          WHERE l.locktype = 'advisory' AND l.objsubid = 1
                            AND l.classid = x'42504A00'::bigint::oid
                            AND l.objid = j.id::oid)
          AND NOT EXISTS (SELECT 1 FROM qrtz_triggers t WHERE t.job_group = 'bp' AND t.job_name = 'job-' || j.id)
        ORDER BY j.id
        LIMIT 100
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await readiness.WaitAsync(stoppingToken);
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or SchedulerException)
            {
                LogSweepFailed(logger, ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    internal async Task<int> SweepAsync(CancellationToken ct)
    {
        var ids = new List<long>();
        await using (var cmd = dataSource.CreateCommand(OrphansSql))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                ids.Add(r.GetInt64(0));
            }
        }

        if (ids.Count == 0)
        {
            return 0;
        }

        var scheduler = await schedulers.GetScheduler(ct);
        foreach (var id in ids)
        {
            LogRescheduling(logger, id);
            await JobScheduling.ScheduleNowAsync(scheduler, id, ct);
        }

        return ids.Count;
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Job {JobId} had no trigger and no runner; scheduling it again")]
    private static partial void LogRescheduling(ILogger logger, long jobId);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Job recovery sweep failed: {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string reason);
}
