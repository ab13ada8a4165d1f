using Hangfire.States;

namespace BladeProvisioner.Jobs;

/// <summary>
/// Puts a job that found no free slot of its kind back on the schedule, <see cref="JobsOptions.SlotRetryDelay"/> from
/// now, instead of letting the engine count it as failed: the same engine job waits, so the dashboard shows one job
/// per run with its waits in its history. Runs before the retry filter, which then sees no failure.
/// </summary>
internal sealed class SlotWaitFilter(TimeSpan delay) : IElectStateFilter
{
    public void OnStateElection(ElectStateContext context)
    {
        if (context.CandidateState is FailedState { Exception: WaitingForSlotException wait })
        {
            context.CandidateState = new ScheduledState(delay) { Reason = wait.Message };
        }
    }
}
