using System.Text.Json;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Data;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Jobs;

/// <summary>
/// Starts, cancels and retries durable jobs. The row is written first (the intent), then the engine job that carries
/// it; if the node dies between the two, <see cref="JobRecoverySweep"/> enqueues the row later.
/// </summary>
public sealed class JobService(
    IDbContextFactory<ApplianceDbContext> contexts,
    IBackgroundJobClient engine,
    ITimeline timeline,
    TimeProvider time)
{
    internal JobHandlerRegistry? Registry { get; init; }

    /// <summary>Creates the job row and schedules it; returns the row as stored.</summary>
    public async Task<Job> EnqueueAsync(JobRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var job = NewRow(request);
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            db.Jobs.Add(job);
            await db.SaveChangesAsync(cancellationToken);
        }

        await ScheduleAsync(job.Id, cancellationToken);
        return job;
    }

    /// <summary>Builds a Queued row for a caller that saves it in its own transaction, then calls <see cref="ScheduleAsync"/>.</summary>
    public Job NewRow(JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Registry is not null && !Registry.TryGet(request.Kind, out _))
        {
            throw DomainException.Invalid(ErrorCodes.JobKindUnknown, $"Unknown job kind '{request.Kind}'.");
        }

        var now = time.GetUtcNow();
        return new Job
        {
            Kind = request.Kind,
            State = JobState.Queued,
            Parameters = JsonSerializer.Serialize(request.Parameters, JobJson.Options),
            BladeId = request.BladeId,
            DonorImageId = request.DonorImageId,
            BootVolumeId = request.BootVolumeId,
            CreatedBy = request.CreatedBy,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    /// <summary>Hands a stored row to the engine, and records on the row which engine job carries it.</summary>
    public async Task ScheduleAsync(long jobId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var kind = await db.Jobs.Where(j => j.Id == jobId).Select(j => j.Kind).SingleOrDefaultAsync(cancellationToken)
            ?? throw DomainException.NotFound(ErrorCodes.JobNotFound, $"Job {jobId} does not exist.");
        var engineJobId = engine.Enqueue<DurableJobExecutor>(x => x.RunAsync(jobId, kind, CancellationToken.None));
        await db.Database.ExecuteSqlAsync($"UPDATE jobs SET engine_job_id = {engineJobId} WHERE id = {jobId}", cancellationToken);
    }

    /// <summary>A queued job is cancelled at once; a running one at its next progress report.</summary>
    public async Task<Job> CancelAsync(long jobId, string actor, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var job = await db.Jobs.SingleOrDefaultAsync(j => j.Id == jobId, cancellationToken)
            ?? throw DomainException.NotFound(ErrorCodes.JobNotFound, $"Job {jobId} does not exist.");
        if (job.IsFinished)
        {
            throw DomainException.Conflict(ErrorCodes.JobFinished, $"Job {jobId} already finished ({job.State}).");
        }

        var now = time.GetUtcNow();
        var affected = await db.Jobs
            .Where(j => j.Id == jobId && (j.State == JobState.Queued || j.State == JobState.Running))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.CancelRequested, true).SetProperty(j => j.UpdatedAt, now), cancellationToken);
        if (affected == 0)
        {
            throw DomainException.Conflict(ErrorCodes.JobFinished, $"Job {jobId} already finished.");
        }

        Record(job, actor, "job.cancel-requested", $"Cancellation of {job.Kind} job {jobId} requested by {actor}");

        // A queued job may not run for a while (waiting for a slot): let the executor cancel it now.
        await ScheduleAsync(jobId, cancellationToken);
        await db.Entry(job).ReloadAsync(cancellationToken);
        return job;
    }

    /// <summary>Runs a failed or cancelled job again, from its last checkpoint where the handler can resume.</summary>
    public async Task<Job> RetryAsync(long jobId, string actor, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var job = await db.Jobs.SingleOrDefaultAsync(j => j.Id == jobId, cancellationToken)
            ?? throw DomainException.NotFound(ErrorCodes.JobNotFound, $"Job {jobId} does not exist.");
        var now = time.GetUtcNow();
        var affected = await db.Jobs
            .Where(j => j.Id == jobId && (j.State == JobState.Failed || j.State == JobState.Cancelled))
            .ExecuteUpdateAsync(
                s => s.SetProperty(j => j.State, JobState.Queued)
                      .SetProperty(j => j.CancelRequested, false)
                      .SetProperty(j => j.FinishedAt, (DateTimeOffset?)null)
                      .SetProperty(j => j.UpdatedAt, now),
                cancellationToken);
        if (affected == 0)
        {
            throw DomainException.Conflict(ErrorCodes.JobNotRetryable, $"Job {jobId} is {job.State}; only failed or cancelled jobs can be retried.");
        }

        Record(job, actor, "job.retried", $"{job.Kind} job {jobId} retried by {actor}");
        await ScheduleAsync(jobId, cancellationToken);
        await db.Entry(job).ReloadAsync(cancellationToken);
        return job;
    }

    /// <summary>An event on the timelines of the job and of what it works on.</summary>
    private void Record(Job job, string actor, string kind, string summary) =>
        timeline.Record(new TimelineRecord(actor, kind, summary)
        {
            JobId = job.Id,
            BladeId = job.BladeId,
            DonorImageId = job.DonorImageId,
            BootVolumeId = job.BootVolumeId,
        });
}
