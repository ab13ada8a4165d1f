using System.Globalization;
using BladeProvisioner.Core.Configuration;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Timeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Quartz;

namespace BladeProvisioner.Jobs;

/// <summary>
/// The one Quartz job class: fires for a row of the jobs table and runs that row's handler.
/// Exactly-once comes from the database, not from Quartz alone: a session-level advisory lock on the job id is held
/// for the whole run (a crashed node's lock vanishes with its connection), and only a row that is not finished is run.
/// A cluster-wide cap per kind is a second set of advisory locks ("slots").
/// </summary>
internal sealed partial class DurableJobExecutor(
    NpgsqlDataSource dataSource,
    JobRowStore rows,
    JobHandlerRegistry handlers,
    ITimeline timeline,
    IOptions<JobsOptions> options,
    IOptions<ApplianceOptions> appliance,
    ILogger<DurableJobExecutor> logger) : IJob
{
    public const string JobIdKey = "bp.jobId";
    private const long JobLockNamespace = 0x4250_4A00_0000_0000; // "BPJ" in the high bytes
    private const int SlotLockNamespace = 0x4250_534C; // "BPSL"

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var idText = context.MergedJobDataMap.GetString(JobIdKey);
        if (!long.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out var jobId))
        {
            LogBadTrigger(logger, context.JobDetail.Key.ToString());
            return;
        }

        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        if (!await TryLockAsync(conn, "SELECT pg_try_advisory_lock($1)", JobLockNamespace | jobId, cancellationToken))
        {
            // Another node (or a recovery trigger racing the original) is running it right now.
            LogAlreadyRunning(logger, jobId);
            return;
        }

        try
        {
            await RunClaimedAsync(conn, context, jobId, cancellationToken);
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", conn);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private async Task RunClaimedAsync(NpgsqlConnection conn, IJobExecutionContext context, long jobId, CancellationToken shutdown)
    {
        var row = await rows.GetAsync(conn, jobId, shutdown);
        if (row is null || row.State is JobState.Succeeded or JobState.Failed or JobState.Cancelled)
        {
            return;
        }

        if (!handlers.TryGet(row.Kind, out var handler))
        {
            await FinishAsync(conn, row, JobState.Failed, $"No handler for job kind '{row.Kind}'.", ErrorCodes.JobKindUnknown);
            return;
        }

        using var userCancel = new CancellationTokenSource();
        var node = appliance.Value.ResolveNodeName();
        var jobContext = new JobContext(
            row.Id, row.Kind, row.Parameters, row.Checkpoint, row.Attempts + 1, context.Recovering || row.State == JobState.Running,
            row.BladeId, row.DonorImageId, row.BootVolumeId, rows, timeline, options.Value.ProgressInterval, userCancel);

        if (row.CancelRequested)
        {
            await CleanupAsync(handler, jobContext);
            await FinishAsync(conn, row, JobState.Cancelled, "Cancelled before it started.", null);
            return;
        }

        if (!await TryTakeSlotAsync(conn, row.Kind, shutdown))
        {
            await RescheduleAsync(context, jobId, shutdown);
            return;
        }

        var attempt = await rows.MarkRunningAsync(conn, jobId, node, shutdown);
        LogStarted(logger, jobId, row.Kind, attempt, jobContext.Recovering);
        timeline.Record(new TimelineRecord("jobs", "job.started", $"{row.Kind} job {jobId} started on {node} (attempt {attempt}{(jobContext.Recovering ? ", resuming" : string.Empty)})")
        {
            JobId = jobId, BladeId = row.BladeId, DonorImageId = row.DonorImageId, BootVolumeId = row.BootVolumeId,
        });

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, userCancel.Token);
        try
        {
            await handler.RunAsync(jobContext, linked.Token);
            await FinishAsync(conn, row, JobState.Succeeded, null, null);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested && !userCancel.IsCancellationRequested)
        {
            // The appliance is stopping: leave the row Running; it is resumed after restart.
            LogInterrupted(logger, jobId);
            throw;
        }
        catch (OperationCanceledException) when (userCancel.IsCancellationRequested)
        {
            await CleanupAsync(handler, jobContext);
            await FinishAsync(conn, row, JobState.Cancelled, "Cancelled by request.", null);
        }
        catch (DomainException ex)
        {
            await CleanupAsync(handler, jobContext);
            await FinishAsync(conn, row, JobState.Failed, ex.Message, ex.Code);
        }
#pragma warning disable CA1031 // A job's failure is recorded on its row; it must not escape into the scheduler.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogFailed(logger, ex, jobId, row.Kind);
            await CleanupAsync(handler, jobContext);
            await FinishAsync(conn, row, JobState.Failed, ex.Message, ErrorCodes.Internal);
        }
    }

    private async Task FinishAsync(NpgsqlConnection conn, JobRowStore.Row row, JobState state, string? error, string? code)
    {
        if (!await rows.FinishAsync(conn, row.Id, state, error, code, CancellationToken.None))
        {
            return;
        }

        LogFinished(logger, row.Id, row.Kind, state);
        var kind = state switch
        {
            JobState.Succeeded => "job.succeeded",
            JobState.Cancelled => "job.cancelled",
            _ => "job.failed",
        };
        timeline.Record(new TimelineRecord("jobs", kind, error is null ? $"{row.Kind} job {row.Id} {state.ToString().ToLowerInvariant()}" : $"{row.Kind} job {row.Id} {state.ToString().ToLowerInvariant()}: {error}")
        {
            JobId = row.Id, BladeId = row.BladeId, DonorImageId = row.DonorImageId, BootVolumeId = row.BootVolumeId,
            Details = code is null ? null : new Dictionary<string, object?> { ["code"] = code },
        });
    }

    private async Task CleanupAsync(IJobHandler handler, JobContext context)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await handler.CleanupAsync(context, cts.Token);
        }
#pragma warning disable CA1031 // Cleanup is best effort; the job's own outcome is what is reported.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogCleanupFailed(logger, ex, context.JobId);
        }
    }

    private async Task<bool> TryTakeSlotAsync(NpgsqlConnection conn, string kind, CancellationToken ct)
    {
        var cap = options.Value.CapFor(kind);
        var kindKey = StableHash(kind);
        for (int slot = 0; slot < cap; slot++)
        {
            await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock($1, $2)", conn);
            cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = SlotLockNamespace ^ kindKey });
            cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = slot });
            if ((bool)(await cmd.ExecuteScalarAsync(ct))!)
            {
                return true;
            }
        }

        return false;
    }

    private async Task RescheduleAsync(IJobExecutionContext context, long jobId, CancellationToken ct)
    {
        var trigger = TriggerBuilder.Create()
            .WithIdentity($"job-{jobId}-wait-{Guid.NewGuid():N}", JobScheduling.Group)
            .ForJob(context.JobDetail.Key)
            .UsingJobData(JobIdKey, jobId.ToString(CultureInfo.InvariantCulture))
            .StartAt(DateTimeOffset.UtcNow + options.Value.SlotRetryDelay)
            .Build();
        await context.Scheduler.ScheduleJob(trigger, new ScheduleJobOptions(), ct);
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection conn, string sql, long key, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = key });
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>FNV-1a: stable across processes (string.GetHashCode is randomised per process).</summary>
    private static int StableHash(string s)
    {
        uint h = 2166136261;
        foreach (var c in s)
        {
            h = (h ^ c) * 16777619;
        }

        return (int)h;
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Job {JobId} ({Kind}) started, attempt {Attempt}, recovering {Recovering}")]
    private static partial void LogStarted(ILogger logger, long jobId, string kind, int attempt, bool recovering);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Job {JobId} ({Kind}) finished: {State}")]
    private static partial void LogFinished(ILogger logger, long jobId, string kind, JobState state);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Job {JobId} ({Kind}) failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, long jobId, string kind);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Debug, Message = "Job {JobId} is already running elsewhere")]
    private static partial void LogAlreadyRunning(ILogger logger, long jobId);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Job {JobId} interrupted by shutdown; it resumes after restart")]
    private static partial void LogInterrupted(ILogger logger, long jobId);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Cleanup after job {JobId} failed")]
    private static partial void LogCleanupFailed(ILogger logger, Exception exception, long jobId);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Quartz job {Key} carries no job id; ignored")]
    private static partial void LogBadTrigger(ILogger logger, string key);
}
