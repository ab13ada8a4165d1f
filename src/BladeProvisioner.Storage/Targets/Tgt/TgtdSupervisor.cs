using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Storage.Targets.Reconciler;
using BladeProvisioner.Storage.Targets.Tgt.Ipc;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Storage.Targets.Tgt;

/// <summary>
/// Keeps a tgtd running when no other one answers: starts <c>tgtd -f --iscsi portal=…</c> as a child, restarts it
/// when it dies (and asks for a reconcile, since a new tgtd is empty), and adopts a tgtd that already answers
/// (a previous run's, or a system service's) by watching its control socket. On shutdown it stops only the tgtd
/// it started: targets deleted with --force, then <c>--op delete --mode system</c> (tgtd ignores SIGTERM while
/// targets exist).
/// </summary>
internal sealed partial class TgtdSupervisor(
    IProcessRunner runner,
    ITargetDriver driver,
    ReconcileTrigger trigger,
    IOptions<TargetsOptions> options,
    ILogger<TgtdSupervisor> logger) : BackgroundService
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(2);
    private readonly TaskCompletionSource _firstAnswer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _startedOwn;
    private volatile bool _stopping;

    /// <summary>Completes when a tgtd first answers (started or adopted).</summary>
    public Task FirstAnswer => _firstAnswer.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (_stopping)
                {
                    await Task.Delay(Timeout.Infinite, stoppingToken);
                }

                if (await driver.IsRunningAsync(stoppingToken))
                {
                    // Someone else's tgtd (or ours from a previous run): watch it, never own it.
                    _firstAnswer.TrySetResult();
                    await Task.Delay(WatchInterval, stoppingToken);
                    continue;
                }

                await RunOwnAsync(stoppingToken);
                await Task.Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (ProcessFailedException ex)
            {
                LogStartFailed(logger, ex);
                await Task.Delay(backoff, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private async Task RunOwnAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var admin = new TgtAdmin(runner, new TgtIpcClient(TgtIpcClient.SocketPathFor(o.ControlPort)), o.NetworkNamespace, o.ControlPort);
        var args = new List<string> { "-f", "--iscsi", $"portal={o.PortalAddress}:{o.PortalPort}" };
        if (o.ControlPort is int port)
        {
            args.AddRange(["--control-port", TgtAdmin.Tid(port)]);
        }

        // tgtd runs for the appliance's lifetime: its messages go to the log as they come, and only a tail stays in memory.
        var spec = admin.Command("tgtd", args) with
        {
            Timeout = Timeout.InfiniteTimeSpan,
            KeepOutputTail = 16 * 1024,
            OnErrorLine = line => LogTgtdSays(logger, line),
        };
        _startedOwn = true;
        TargetMetrics.TgtdStarts.Add(1);
        LogStarting(logger, o.PortalAddress, o.PortalPort, o.NetworkNamespace ?? "(host)");

        // The process runner kills tgtd (and ip netns exec) if the appliance stops before tgtd exits.
        var run = runner.TryRunAsync(spec, stoppingToken);
        _ = AnnounceWhenAnsweringAsync(run, stoppingToken);
        var result = await run;
        if (!stoppingToken.IsCancellationRequested)
        {
            LogExited(logger, result.ExitCode, Tail(result.StandardError));
        }
    }

    private async Task AnnounceWhenAnsweringAsync(Task running, CancellationToken ct)
    {
        for (int i = 0; i < 100 && !running.IsCompleted && !ct.IsCancellationRequested; i++)
        {
            if (await driver.IsRunningAsync(ct))
            {
                _firstAnswer.TrySetResult();
                trigger.Request();
                return;
            }

            await Task.Delay(50, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        if (_startedOwn && options.Value.ManageTgtd)
        {
            try
            {
                await StopTgtdAsync(cancellationToken);
            }
            catch (ProcessFailedException ex)
            {
                LogStopFailed(logger, ex);
            }
        }

        await base.StopAsync(cancellationToken);
    }

    private async Task StopTgtdAsync(CancellationToken ct)
    {
        var o = options.Value;
        var admin = new TgtAdmin(runner, new TgtIpcClient(TgtIpcClient.SocketPathFor(o.ControlPort)), o.NetworkNamespace, o.ControlPort);
        foreach (var target in await driver.ListAsync(ct))
        {
            await admin.TryRunAsync(ct, "--op", "delete", "--mode", "target", "--tid", TgtAdmin.Tid(target.Tid), "--force");
        }

        await admin.TryRunAsync(ct, "--op", "delete", "--mode", "system");
        LogStopped(logger);
    }

    private static string Tail(string text) => text.Length <= 300 ? text.Trim() : text[^300..].Trim();

    [LoggerMessage(EventId = StorageEventIds.TgtdStarting, Level = LogLevel.Information, Message = "Starting tgtd, portal {Address}:{Port}, namespace {Namespace}")]
    private static partial void LogStarting(ILogger logger, string address, int port, string @namespace);

    [LoggerMessage(EventId = StorageEventIds.TgtdExited, Level = LogLevel.Error, Message = "tgtd exited with code {ExitCode}; restarting. {StandardError}")]
    private static partial void LogExited(ILogger logger, int exitCode, string standardError);

    [LoggerMessage(EventId = StorageEventIds.TgtdSays, Level = LogLevel.Information, Message = "tgtd: {Line}")]
    private static partial void LogTgtdSays(ILogger logger, string line);

    [LoggerMessage(EventId = StorageEventIds.TgtdStartFailed, Level = LogLevel.Error, Message = "tgtd could not be started")]
    private static partial void LogStartFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = StorageEventIds.TgtdStopped, Level = LogLevel.Information, Message = "tgtd stopped")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(EventId = StorageEventIds.TgtdStopFailed, Level = LogLevel.Warning, Message = "tgtd could not be stopped cleanly")]
    private static partial void LogStopFailed(ILogger logger, Exception exception);
}
