namespace BladeProvisioner.Jobs;

/// <summary>
/// Thrown by <see cref="DurableJobExecutor"/> when every cluster-wide slot of the job's kind is taken. It is not a
/// failure: <see cref="SlotWaitFilter"/> turns it into a short wait on the engine's schedule.
/// </summary>
public sealed class WaitingForSlotException : Exception
{
    public WaitingForSlotException()
        : this("unknown")
    {
    }

    public WaitingForSlotException(string kind)
        : base($"Every slot for {kind} jobs is taken; waiting for one to free up.")
    {
        Kind = kind;
    }

    public WaitingForSlotException(string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = "unknown";
    }

    public string Kind { get; }
}
