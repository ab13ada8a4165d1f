namespace BladeProvisioner.Jobs;

/// <summary>
/// The work of one job kind. Runs after the job is claimed; reports progress and checkpoints through the context.
/// After a crash it is run again with <see cref="JobContext.Recovering"/> set and the last checkpoint, and must either
/// resume from it or start over cleanly. Throwing fails the job; cancellation by the user cancels it.
/// </summary>
public interface IJobHandler
{
    string Kind { get; }

    Task RunAsync(JobContext context, CancellationToken cancellationToken);

    /// <summary>Removes leftovers after the job was cancelled or failed for good. Must be idempotent.</summary>
    Task CleanupAsync(JobContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}
