using BladeProvisioner.Core.Readiness;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Storage.Targets.Reconciler;

/// <summary>
/// Runs the reconciler at start — the "targets" readiness gate opens after the first completed pass, so no blade
/// is answered before its target is back — then every <see cref="TargetsOptions.ReconcileInterval"/>, and at once
/// when the supervisor restarts tgtd.
/// </summary>
internal sealed partial class TargetReconcilerService : BackgroundService
{
    public const string ReadinessGate = "targets";

    private readonly TargetReconciler _reconciler;
    private readonly ITargetDriver _driver;
    private readonly ApplianceReadiness _readiness;
    private readonly ReconcileTrigger _trigger;
    private readonly IOptions<TargetsOptions> _options;
    private readonly ILogger<TargetReconcilerService> _logger;

    public TargetReconcilerService(
        TargetReconciler reconciler,
        ITargetDriver driver,
        ApplianceReadiness readiness,
        ReconcileTrigger trigger,
        IOptions<TargetsOptions> options,
        ILogger<TargetReconcilerService> logger)
    {
        _reconciler = reconciler;
        _driver = driver;
        _readiness = readiness;
        _trigger = trigger;
        _options = options;
        _logger = logger;
    }

    public ReconcileReport? LastReport { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retry = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait = _options.Value.ReconcileInterval;
            try
            {
                if (!await _driver.IsRunningAsync(stoppingToken))
                {
                    LogNotRunning(_logger);
                    wait = retry;
                    retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
                }
                else
                {
                    LastReport = await _reconciler.ReconcileAsync(stoppingToken);
                    retry = TimeSpan.FromMilliseconds(500);

                    // Per-target failures are reported, not fatal: one bad volume must not keep every blade waiting.
                    _readiness.Open(ReadinessGate);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPassFailed(_logger, ex);
                wait = retry;
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }

            try
            {
                await _trigger.WaitAsync(wait, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = StorageEventIds.ReconcilerNotRunning, Level = LogLevel.Warning, Message = "Target service not answering yet; reconcile deferred")]
    private static partial void LogNotRunning(ILogger logger);

    [LoggerMessage(EventId = StorageEventIds.ReconcilerPassFailed, Level = LogLevel.Error, Message = "Reconcile pass failed; retrying")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
