namespace BladeProvisioner.Jobs;

/// <summary>
/// This execution no longer owns its job row: its advisory lock was lost (the lock's connection died) or a newer
/// execution claimed the row (a higher epoch). It must stop without touching the row or the job's resources; the
/// owner, or the next execution, carries on.
/// </summary>
public sealed class JobFencedException : Exception
{
    public JobFencedException()
        : this(0)
    {
    }

    public JobFencedException(long jobId)
        : base($"Job {jobId} is owned by another execution; this one stops.")
    {
        JobId = jobId;
    }

    public JobFencedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public long JobId { get; }
}
