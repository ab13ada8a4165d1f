namespace BladeProvisioner.Core.Model;

/// <summary>
/// A durable background job. The job engine (Hangfire) runs it; this row is where its progress and outcome live, so the
/// API and the UI read one place.
/// </summary>
public sealed class Job
{
    public long Id { get; set; }

    /// <summary>What the job does, e.g. <c>image.import</c>, <c>volume.clone</c>.</summary>
    public required string Kind { get; set; }

    public JobState State { get; set; } = JobState.Queued;

    /// <summary>Progress in the job's own unit (bytes for copies).</summary>
    public long ProgressDone { get; set; }
    public long ProgressTotal { get; set; }

    /// <summary>Bytes (or units) per second over the last progress interval.</summary>
    public double Rate { get; set; }

    /// <summary>Job input as JSON.</summary>
    public string Parameters { get; set; } = "{}";

    /// <summary>Where to resume after a crash, as JSON; written by the job with its progress.</summary>
    public string? Checkpoint { get; set; }

    public int Attempts { get; set; }
    public bool CancelRequested { get; set; }
    public string? Error { get; set; }
    public string? ErrorCode { get; set; }

    /// <summary>The appliance node running (or last running) the job.</summary>
    public string? Node { get; set; }

    public long? BladeId { get; set; }
    public long? DonorImageId { get; set; }
    public long? BootVolumeId { get; set; }
    public string? CreatedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public bool IsFinished => State is JobState.Succeeded or JobState.Failed or JobState.Cancelled;
}
