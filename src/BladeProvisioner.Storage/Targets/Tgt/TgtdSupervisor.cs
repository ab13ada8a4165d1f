using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Storage.Targets.Reconciler;
using BladeProvisioner.Storage.Targets.Tgt.Ipc;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Storage.Targets.Tgt;

/// <summary>
/// Keeps a tgtd running when no other one answers. The tgtd it starts is detached, not a child: tgtd daemonizes
/// (its own session, stdio on /dev/null, pid file <c>/run/tgtd/bladeprovisioner.&lt;port&gt;.pid</c>), so neither a stop nor a
/// SIGKILL of the appliance takes it (or a blade's session) down. A tgtd that already answers on the control port (a
/// previous run's, or the <c>bladeprovisioner-tgtd</c> unit's) is adopted: watched, and reconciled to the database by
/// the reconciler, which leaves a target that matches alone. When the tgtd stops answering, a new one is started and a
/// reconcile asked for (a new tgtd is empty). On shutdown targets and sessions are left alone, unless
/// <see cref="TargetsOptions.StopTgtdOnShutdown"/>: then the tgtd this run started has its targets deleted with --force
/// and is stopped with <c>--op delete --mode system</c> (tgtd ignores SIGTERM while targets exist).
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
        Directory.CreateDirectory(Path.GetDirectoryName(PidFile)!);

        // No -f: tgtd daemonizes (setsid, stdio to /dev/null), so the runtime's child handling and a stop of this
        // process never reach it. The control port stays last on the command line: tools find a tgtd by it.
        var args = new List<string> { "--pid-file", PidFile, "--iscsi", $"portal={o.PortalAddress}:{o.PortalPort}" };
        if (o.ControlPort is int port)
        {
            args.AddRange(["--control-port", TgtAdmin.Tid(port)]);
        }

        var spec = admin.Command("tgtd", args) with { Timeout = TimeSpan.FromSeconds(30) };
        _startedOwn = true;
        TargetMetrics.TgtdStarts.Add(1);
        LogStarting(logger, o.PortalAddress, o.PortalPort, o.NetworkNamespace ?? "(host)");
        var result = await runner.TryRunAsync(spec, stoppingToken);
        if (result.ExitCode != 0)
        {
            LogExited(logger, result.ExitCode, Tail(result.StandardError));
            return;
        }

        for (int i = 0; i < 100 && !stoppingToken.IsCancellationRequested; i++)
        {
            if (await driver.IsRunningAsync(stoppingToken))
            {
                _firstAnswer.TrySetResult();
                trigger.Request();
                return;
            }

            await Task.Delay(50, stoppingToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        if (!options.Value.StopTgtdOnShutdown)
        {
            LogLeftRunning(logger);
        }
        else if (_startedOwn && options.Value.ManageTgtd)
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
        await WaitGoneAsync(ct);
        LogStopped(logger);
    }

    /// <summary>Next to tgtd's own socket files: gone with them at a reboot, found by an operator where tgt keeps its state.</summary>
    private string PidFile => $"/run/tgtd/bladeprovisioner.{TgtAdmin.Tid(options.Value.ControlPort ?? 0)}.pid";

    /// <summary>Nothing waits on a detached tgtd: after it is told to stop, wait until it has gone (it holds the portal until then).</summary>
    private async Task WaitGoneAsync(CancellationToken ct)
    {
        int pid = File.Exists(PidFile) && int.TryParse(await File.ReadAllTextAsync(PidFile, ct), out var p) ? p : 0;
        for (int i = 0; i < 100 && ((pid > 0 && Directory.Exists($"/proc/{pid}")) || await driver.IsRunningAsync(ct)); i++)
        {
            await Task.Delay(50, ct);
        }
    }

    private static string Tail(string text) => text.Length <= 300 ? text.Trim() : text[^300..].Trim();

    [LoggerMessage(EventId = StorageEventIds.TgtdStarting, Level = LogLevel.Information, Message = "Starting tgtd, portal {Address}:{Port}, namespace {Namespace}")]
    private static partial void LogStarting(ILogger logger, string address, int port, string @namespace);

    [LoggerMessage(EventId = StorageEventIds.TgtdExited, Level = LogLevel.Error, Message = "tgtd could not start (exit code {ExitCode}); retrying. {StandardError}")]
    private static partial void LogExited(ILogger logger, int exitCode, string standardError);

    [LoggerMessage(EventId = StorageEventIds.TgtdLeftRunning, Level = LogLevel.Information, Message = "tgtd left running with its targets and sessions; the next start adopts it")]
    private static partial void LogLeftRunning(ILogger logger);

    [LoggerMessage(EventId = StorageEventIds.TgtdStartFailed, Level = LogLevel.Error, Message = "tgtd could not be started")]
    private static partial void LogStartFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = StorageEventIds.TgtdStopped, Level = LogLevel.Information, Message = "tgtd stopped")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(EventId = StorageEventIds.TgtdStopFailed, Level = LogLevel.Warning, Message = "tgtd could not be stopped cleanly")]
    private static partial void LogStopFailed(ILogger logger, Exception exception);
}
