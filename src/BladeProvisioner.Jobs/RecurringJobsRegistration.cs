using Hangfire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Jobs;

/// <summary>
/// Writes the recurring jobs this module owns (the recovery sweep, the retention sweep) to the engine's storage, in the background and
/// until it succeeds. Never on the start path: the engine's lock on a recurring job is a row that a node killed while
/// holding it keeps for the lock timeout, and a restarting node must not wait for that, let alone fail its start.
/// </summary>
internal sealed partial class RecurringJobsRegistration(
    IRecurringJobManager recurring, IOptions<JobsOptions> options, IOptions<RetentionOptions> retention, ILogger<RecurringJobsRegistration> logger)
    : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = (int)Math.Clamp(options.Value.RecoverySweepInterval.TotalSeconds, 1, 59);
        await RegisterAsync(
            JobRecoverySweep.RecurringJobId,
            () => recurring.AddOrUpdate<JobRecoverySweep>(JobRecoverySweep.RecurringJobId, s => s.SweepAsync(CancellationToken.None), $"*/{seconds} * * * * *"),
            stoppingToken);
        await RegisterAsync(
            RetentionSweep.RecurringJobId,
            () => recurring.AddOrUpdate<RetentionSweep>(RetentionSweep.RecurringJobId, s => s.SweepAsync(CancellationToken.None), retention.Value.Schedule),
            stoppingToken);
    }

    private async Task RegisterAsync(string id, Action register, CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                await Task.Run(register, stoppingToken);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRegistrationFailed(logger, id, ex.Message);
            }

            await Task.Delay(RetryDelay, stoppingToken);
        }
    }

    [LoggerMessage(EventId = JobsEventIds.RecurringRegistrationFailed, Level = LogLevel.Warning, Message = "Recurring job {Id} not registered yet ({Reason}); trying again")]
    private static partial void LogRegistrationFailed(ILogger logger, string id, string reason);
}
