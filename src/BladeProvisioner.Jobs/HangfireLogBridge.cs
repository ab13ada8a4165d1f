using Hangfire.Logging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using HangfireLevel = Hangfire.Logging.LogLevel;
using MsLevel = Microsoft.Extensions.Logging.LogLevel;

namespace BladeProvisioner.Jobs;

/// <summary>
/// Hangfire's own diagnostics into the appliance's log. Hangfire keeps its log provider in a static, one per process,
/// and its AspNetCore default binds that static to the logger factory of whichever host configured Hangfire last.
/// When that host stops, its factory is disposed and every other host's engine in the process (test hosts, or a host
/// being restarted in place) fails on its next log call, inside the engine: a worker that fails in a dequeue leaves a
/// fetched job invisible, and an enqueue from an API request fails with a 500. The bridge is that one static provider:
/// each running host attaches its logger factory while it runs, and Hangfire's messages go to the newest attached
/// factory that is still alive, or nowhere (never to a disposed one, never an exception into the engine).
/// </summary>
internal sealed class HangfireLogBridge : ILogProvider
{
    public static readonly HangfireLogBridge Instance = new();

    private readonly Lock _lock = new();
    private readonly List<ILoggerFactory> _factories = [];

    private HangfireLogBridge()
    {
    }

    public ILog GetLogger(string name) => new BridgedLog(this, name);

    /// <summary>Hangfire's messages go to <paramref name="factory"/> until the returned handle is disposed.</summary>
    public IDisposable Attach(ILoggerFactory factory)
    {
        lock (_lock)
        {
            _factories.Add(factory);
        }

        return new Attachment(this, factory);
    }

    private ILoggerFactory? Current()
    {
        lock (_lock)
        {
            return _factories.Count == 0 ? null : _factories[^1];
        }
    }

    private void Detach(ILoggerFactory factory)
    {
        lock (_lock)
        {
            _factories.Remove(factory);
        }
    }

    private static MsLevel Map(HangfireLevel level) => level switch
    {
        HangfireLevel.Trace => MsLevel.Trace,
        HangfireLevel.Debug => MsLevel.Debug,
        HangfireLevel.Info => MsLevel.Information,
        HangfireLevel.Warn => MsLevel.Warning,
        HangfireLevel.Error => MsLevel.Error,
        _ => MsLevel.Critical,
    };

    private sealed class BridgedLog(HangfireLogBridge bridge, string name) : ILog
    {
        public bool Log(HangfireLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            if (bridge.Current() is not { } factory)
            {
                return false;
            }

            try
            {
                var logger = factory.CreateLogger(name);
                var level = Map(logLevel);
                if (messageFunc is null)
                {
                    return logger.IsEnabled(level);
                }

                if (logger.IsEnabled(level))
                {
#pragma warning disable CA1848, CA2254 // Hangfire hands over finished messages, not templates
                    logger.Log(level, exception, messageFunc());
#pragma warning restore CA1848, CA2254
                }

                return true;
            }
            catch (ObjectDisposedException)
            {
                // The host stopped between the lookup and the call: its factory is gone; drop the message.
                bridge.Detach(factory);
                return false;
            }
        }
    }

    private sealed class Attachment(HangfireLogBridge bridge, ILoggerFactory factory) : IDisposable
    {
        public void Dispose() => bridge.Detach(factory);
    }
}

/// <summary>Attaches this host's logger factory to <see cref="HangfireLogBridge"/> while the host runs (registered before the engine's server).</summary>
internal sealed class HangfireLogAttachment(ILoggerFactory factory) : IHostedService, IDisposable
{
    private IDisposable? _attachment;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _attachment = HangfireLogBridge.Instance.Attach(factory);
        return Task.CompletedTask;
    }

    /// <summary>Hosted services stop in reverse order: this runs after the engine's server has stopped.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _attachment?.Dispose();
        _attachment = null;
    }
}
