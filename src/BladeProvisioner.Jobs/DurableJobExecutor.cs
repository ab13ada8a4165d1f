using System.Diagnostics;
using BladeProvisioner.Core.Configuration;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Timeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Hangfire;

namespace BladeProvisioner.Jobs;

/// <summary>
/// The one job method Hangfire runs: it carries the id of a row of the jobs table and runs that row's handler.
/// Exactly-once comes from the database, not from the engine alone: a session-level advisory lock on the job id is held
/// for the whole run (a crashed node's lock vanishes with its connection), and only a row that is not finished is run,
/// so a second delivery of the same row (a recovered engine job, a recovery sweep) finds the lock taken or the row done.
/// A cluster-wide cap per kind is a second set of advisory locks ("slots"); a job that finds no free slot goes back to
/// the engine's schedule (<see cref="SlotWaitFilter"/>) instead of holding a worker.
/// </summary>
public sealed partial class DurableJobExecutor
{
    private const long JobLockNamespace = 0x4250_4A00_0000_0000; // "BPJ" in the high bytes
    private const int SlotLockNamespace = 0x4250_534C; // "BPSL"

    private readonly NpgsqlDataSource _dataSource;
    private readonly JobRowStore _rows;
    private readonly JobHandlerRegistry _handlers;
    private readonly ITimeline _timeline;
    private readonly IOptions<JobsOptions> _options;
    private readonly IOptions<ApplianceOptions> _appliance;
    private readonly ILogger<DurableJobExecutor> _logger;
    private readonly JobsTelemetry _telemetry;

    internal DurableJobExecutor(
        NpgsqlDataSource dataSource,
        JobRowStore rows,
        JobHandlerRegistry handlers,
        ITimeline timeline,
        IOptions<JobsOptions> options,
        IOptions<ApplianceOptions> appliance,
        ILogger<DurableJobExecutor> logger,
        JobsTelemetry telemetry)
    {
        _dataSource = dataSource;
        _rows = rows;
        _handlers = handlers;
        _timeline = timeline;
        _options = options;
        _appliance = appliance;
        _logger = logger;
        _telemetry = telemetry;
    }

    /// <summary>
    /// Runs job row <paramref name="jobId"/>. The kind is carried only so the dashboard can name the job. The engine
    /// passes a token that is cancelled when this node stops: the row is then left Running and resumes after restart
    /// (the engine puts the job back in its queue).
    /// </summary>
    [JobDisplayName("{1} job {0}")]
    public async Task RunAsync(long jobId, string kind, CancellationToken cancellationToken)
    {
        await using var conn = await _dataSource.OpenConnectionAsync(cancellationToken);
        if (!await TryLockAsync(conn, "SELECT pg_try_advisory_lock($1)", JobLockNamespace | jobId, cancellationToken))
        {
            // Another node (or a second delivery racing the first) is running it right now.
            LogAlreadyRunning(_logger, jobId);
            return;
        }

        try
        {
            await RunClaimedAsync(conn, jobId, cancellationToken);
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", conn);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private async Task RunClaimedAsync(NpgsqlConnection conn, long jobId, CancellationToken shutdown)
    {
        var row = await _rows.GetAsync(conn, jobId, shutdown);
        if (row is null || row.State is JobState.Succeeded or JobState.Failed or JobState.Cancelled)
        {
            return;
        }

        if (!_handlers.TryGet(row.Kind, out var handler))
        {
            await FinishAsync(conn, row, JobState.Failed, $"No handler for job kind '{row.Kind}'.", ErrorCodes.JobKindUnknown);
            return;
        }

        using var userCancel = new CancellationTokenSource();
        var node = _appliance.Value.ResolveNodeName();
        var recovering = row.State == JobState.Running;
        var jobContext = new JobContext(
            row.Id, row.Kind, row.Parameters, row.Checkpoint, row.Attempts + 1, recovering,
            row.BladeId, row.DonorImageId, row.BootVolumeId, _rows, _timeline, _options.Value.ProgressInterval, userCancel);

        if (row.CancelRequested)
        {
            await CleanupAsync(handler, jobContext);
            await FinishAsync(conn, row, JobState.Cancelled, "Cancelled before it started.", null);
            return;
        }

        if (!await TryTakeSlotAsync(conn, row.Kind, shutdown))
        {
            LogWaitingForSlot(_logger, jobId, row.Kind);
            throw new WaitingForSlotException(row.Kind);
        }

        var attempt = await _rows.MarkRunningAsync(conn, jobId, node, shutdown);
        LogStarted(_logger, jobId, row.Kind, attempt, recovering);
        var resuming = recovering ? ", resuming" : string.Empty;
        _timeline.Record(new TimelineRecord("jobs", "job.started", $"{row.Kind} job {jobId} started on {node} (attempt {attempt}{resuming})")
        {
            JobId = jobId, BladeId = row.BladeId, DonorImageId = row.DonorImageId, BootVolumeId = row.BootVolumeId,
        });

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, userCancel.Token);
        using var activity = JobsTelemetry.StartRun(jobId, row.Kind, attempt, recovering);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await handler.RunAsync(jobContext, linked.Token);
            await FinishAsync(conn, row, JobState.Succeeded, null, null);
            _telemetry.Finished(row.Kind, JobState.Succeeded, Stopwatch.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested && !userCancel.IsCancellationRequested)
        {
            // The appliance is stopping: leave the row Running; it is resumed after restart.
            LogInterrupted(_logger, jobId);
            activity?.SetStatus(ActivityStatusCode.Error, "interrupted by shutdown");
            throw;
        }
        catch (OperationCanceledException) when (userCancel.IsCancellationRequested)
        {
            await CleanupAsync(handler, jobContext);
            await FinishAsync(conn, row, JobState.Cancelled, "Cancelled by request.", null);
            _telemetry.Finished(row.Kind, JobState.Cancelled, Stopwatch.GetElapsedTime(started));
        }
        catch (DomainException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Code);
            await CleanupAsync(handler, jobContext);
            await FinishAsync(conn, row, JobState.Failed, ex.Message, ex.Code);
            _telemetry.Finished(row.Kind, JobState.Failed, Stopwatch.GetElapsedTime(started));
        }
#pragma warning disable CA1031 // A job's failure is recorded on its row; it must not escape into the engine.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogFailed(_logger, ex, jobId, row.Kind);
            activity?.SetStatus(ActivityStatusCode.Error, ErrorCodes.Internal);
            await CleanupAsync(handler, jobContext);
            await FinishAsync(conn, row, JobState.Failed, ex.Message, ErrorCodes.Internal);
            _telemetry.Finished(row.Kind, JobState.Failed, Stopwatch.GetElapsedTime(started));
        }
    }

    private async Task FinishAsync(NpgsqlConnection conn, JobRowStore.Row row, JobState state, string? error, string? code)
    {
        if (!await _rows.FinishAsync(conn, row.Id, state, error, code, CancellationToken.None))
        {
            return;
        }

        LogFinished(_logger, row.Id, row.Kind, state);
        var kind = state switch
        {
            JobState.Succeeded => "job.succeeded",
            JobState.Cancelled => "job.cancelled",
            _ => "job.failed",
        };
        _timeline.Record(new TimelineRecord("jobs", kind, error is null ? $"{row.Kind} job {row.Id} {state.ToString().ToLowerInvariant()}" : $"{row.Kind} job {row.Id} {state.ToString().ToLowerInvariant()}: {error}")
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
            LogCleanupFailed(_logger, ex, context.JobId);
        }
    }

    private async Task<bool> TryTakeSlotAsync(NpgsqlConnection conn, string kind, CancellationToken ct)
    {
        var cap = _options.Value.CapFor(kind);
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

    [LoggerMessage(EventId = JobsEventIds.Started, Level = LogLevel.Information, Message = "Job {JobId} ({Kind}) started, attempt {Attempt}, recovering {Recovering}")]
    private static partial void LogStarted(ILogger logger, long jobId, string kind, int attempt, bool recovering);

    [LoggerMessage(EventId = JobsEventIds.Finished, Level = LogLevel.Information, Message = "Job {JobId} ({Kind}) finished: {State}")]
    private static partial void LogFinished(ILogger logger, long jobId, string kind, JobState state);

    [LoggerMessage(EventId = JobsEventIds.Failed, Level = LogLevel.Error, Message = "Job {JobId} ({Kind}) failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, long jobId, string kind);

    [LoggerMessage(EventId = JobsEventIds.AlreadyRunning, Level = LogLevel.Debug, Message = "Job {JobId} is already running elsewhere")]
    private static partial void LogAlreadyRunning(ILogger logger, long jobId);

    [LoggerMessage(EventId = JobsEventIds.Interrupted, Level = LogLevel.Information, Message = "Job {JobId} interrupted by shutdown; it resumes after restart")]
    private static partial void LogInterrupted(ILogger logger, long jobId);

    [LoggerMessage(EventId = JobsEventIds.CleanupFailed, Level = LogLevel.Warning, Message = "Cleanup after job {JobId} failed")]
    private static partial void LogCleanupFailed(ILogger logger, Exception exception, long jobId);

    [LoggerMessage(EventId = JobsEventIds.WaitingForSlot, Level = LogLevel.Debug, Message = "Job {JobId} ({Kind}) waits for a free slot of its kind")]
    private static partial void LogWaitingForSlot(ILogger logger, long jobId, string kind);
}
