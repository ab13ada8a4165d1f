using System.Globalization;
using Quartz;

namespace BladeProvisioner.Jobs;

/// <summary>How a jobs-table row becomes a Quartz job and trigger.</summary>
internal static class JobScheduling
{
    public const string Group = "bp";

    public static JobKey KeyFor(long jobId) => new($"job-{jobId}", Group);

    public static async Task ScheduleNowAsync(IScheduler scheduler, long jobId, CancellationToken ct)
    {
        var key = KeyFor(jobId);
        var trigger = TriggerBuilder.Create()
            .WithIdentity($"job-{jobId}-{Guid.NewGuid():N}", Group)
            .ForJob(key)
            .UsingJobData(DurableJobExecutor.JobIdKey, jobId.ToString(CultureInfo.InvariantCulture))
            .StartNow()
            .Build();
        var detail = JobBuilder.Create<DurableJobExecutor>()
            .WithIdentity(key)
            .UsingJobData(DurableJobExecutor.JobIdKey, jobId.ToString(CultureInfo.InvariantCulture))
            .RequestRecovery()
            .StoreDurably(false)
            .Build();
        // The detail may already exist (a trigger pending or a run in progress): store it again with one more trigger.
        await scheduler.ScheduleJob(detail, trigger, ScheduleJobOptions.Replacing, ct);
    }
}
