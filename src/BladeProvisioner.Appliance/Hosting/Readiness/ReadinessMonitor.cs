using BladeProvisioner.Core.Readiness;
using BladeProvisioner.Core.Timeline;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Appliance.Hosting.Readiness;

/// <summary>
/// Keeps readiness following the dependencies after start: every <see cref="ReadinessOptions.ProbeInterval"/> each
/// <see cref="IReadinessProbe"/> runs (bounded by <see cref="ReadinessOptions.ProbeTimeout"/>); after
/// <see cref="ReadinessOptions.FailureThreshold"/> failures in a row its dependency is marked down (blades are held),
/// after one good probe up again. Each transition of readiness is logged and put on the timeline.
/// </summary>
internal sealed partial class ReadinessMonitor(
    IEnumerable<IReadinessProbe> probes,
    ApplianceReadiness readiness,
    IOptions<ReadinessOptions> options,
    ITimeline timeline,
    TimeProvider time,
    ILogger<ReadinessMonitor> logger) : BackgroundService
{
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        readiness.Changed += OnChanged;
        return base.StartAsync(cancellationToken);
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        readiness.Changed -= OnChanged;
        return base.StopAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(probes.Select(p => WatchAsync(p, stoppingToken)));

    private async Task WatchAsync(IReadinessProbe probe, CancellationToken stoppingToken)
    {
        var o = options.Value;
        int failures = 0;
        using var timer = new PeriodicTimer(o.ProbeInterval, time);
        try
        {
            do
            {
                var reason = await ProbeAsync(probe, o.ProbeTimeout, stoppingToken);
                if (reason is null)
                {
                    if (failures >= o.FailureThreshold)
                    {
                        LogDependencyUp(logger, probe.Dependency, failures);
                    }

                    failures = 0;
                    readiness.MarkUp(probe.Dependency);
                    continue;
                }

                failures++;
                if (failures == o.FailureThreshold)
                {
                    LogDependencyDown(logger, probe.Dependency, failures, reason);
                    readiness.MarkDown(probe.Dependency, reason, time.GetUtcNow());
                }
                else if (failures < o.FailureThreshold)
                {
                    LogProbeFailed(logger, probe.Dependency, failures, o.FailureThreshold, reason);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private static async Task<string?> ProbeAsync(IReadinessProbe probe, TimeSpan timeout, CancellationToken stoppingToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        cts.CancelAfter(timeout);
        try
        {
            return await probe.ProbeAsync(cts.Token).WaitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return $"no answer within {timeout.TotalSeconds:0.#} s";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ex.Message;
        }
    }

    private void OnChanged(ReadinessChange change)
    {
        if (!change.AfterStart)
        {
            return;
        }

        if (change.Ready)
        {
            LogReady(logger, change.Cause);
            timeline.Record(new TimelineRecord("appliance", "appliance.ready", $"Ready again ({change.Cause} answers): blades are answered"));
        }
        else
        {
            LogNotReady(logger, change.Cause, change.Reason ?? string.Empty);
            timeline.Record(new TimelineRecord("appliance", "appliance.not-ready", $"Not ready: {change.Cause} is down ({change.Reason}); blades are held")
            {
                Details = new Dictionary<string, object?> { ["dependency"] = change.Cause, ["reason"] = change.Reason },
            });
        }
    }

    [LoggerMessage(EventId = ApplianceEventIds.ReadinessProbeFailed, Level = LogLevel.Warning, Message = "Readiness probe of {Dependency} failed ({Failures} of {Threshold}): {Reason}")]
    private static partial void LogProbeFailed(ILogger logger, string dependency, int failures, int threshold, string reason);

    [LoggerMessage(EventId = ApplianceEventIds.ReadinessDependencyDown, Level = LogLevel.Error, Message = "{Dependency} is down after {Failures} failed probes: {Reason}")]
    private static partial void LogDependencyDown(ILogger logger, string dependency, int failures, string reason);

    [LoggerMessage(EventId = ApplianceEventIds.ReadinessDependencyUp, Level = LogLevel.Information, Message = "{Dependency} answers again after {Failures} failed probes")]
    private static partial void LogDependencyUp(ILogger logger, string dependency, int failures);

    [LoggerMessage(EventId = ApplianceEventIds.ReadinessClosed, Level = LogLevel.Error, Message = "Appliance not ready: {Dependency} is down ({Reason}); DHCP, TFTP and boot answers are held")]
    private static partial void LogNotReady(ILogger logger, string dependency, string reason);

    [LoggerMessage(EventId = ApplianceEventIds.ReadinessReopened, Level = LogLevel.Information, Message = "Appliance ready again ({Dependency} answers); blades are answered")]
    private static partial void LogReady(ILogger logger, string dependency);
}
