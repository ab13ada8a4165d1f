using System.Diagnostics;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Power.Diagnostics;
using Microsoft.Extensions.Logging;

namespace BladeProvisioner.Power;

/// <summary>
/// The one entry point for restarting blades: picks the driver by the blade's <see cref="PowerDriverKind"/>, counts
/// outcomes, and logs codes (never credentials).
/// </summary>
public sealed partial class PowerControl
{
    private readonly Dictionary<PowerDriverKind, IPowerDriver> _drivers;
    private readonly PowerMetrics _metrics;
    private readonly ILogger<PowerControl> _logger;

    internal PowerControl(IEnumerable<IPowerDriver> drivers, PowerMetrics metrics, ILogger<PowerControl> logger)
    {
        _drivers = drivers.ToDictionary(d => d.Kind);
        _metrics = metrics;
        _logger = logger;
    }

    public IPowerDriver Driver(PowerDriverKind kind) =>
        _drivers.TryGetValue(kind, out var driver)
            ? driver
            : throw new PowerException(PowerErrorCodes.DriverUnavailable, $"No power driver is registered for {kind}.");

    public async Task<PowerResult> RestartAsync(PowerDriverKind kind, PowerTarget target, RestartOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var driver = Driver(kind);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await driver.RestartAsync(target, options, cancellationToken);
            _metrics.Restarted(kind.ToString(), "ok", Stopwatch.GetElapsedTime(started));
            return result;
        }
        catch (PowerException ex)
        {
            _metrics.Restarted(kind.ToString(), ex.Code, Stopwatch.GetElapsedTime(started));
            LogRestartFailed(_logger, target.BladeId, kind, ex.Code, ex.Message);
            throw;
        }
    }

    /// <summary>
    /// Powers the blade off and waits until its BMC reports off (at most <paramref name="wait"/>), so that nothing
    /// runs on a disk that is about to be removed.
    /// </summary>
    /// <exception cref="PowerException">The BMC failed, or <see cref="PowerErrorCodes.StillOn"/> after the wait.</exception>
    public async Task<PowerResult> PowerOffAsync(PowerDriverKind kind, PowerTarget target, TimeSpan wait, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var driver = Driver(kind);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await driver.PowerOffAsync(target, cancellationToken);
            var deadline = started + (long)(wait.TotalSeconds * Stopwatch.Frequency);
            while ((await driver.GetStatusAsync(target, cancellationToken)).State != PowerState.Off)
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw new PowerException(PowerErrorCodes.StillOn, $"{kind}: the blade still reports power on {wait.TotalSeconds:0} s after the power-off.");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }

            return result with { Elapsed = Stopwatch.GetElapsedTime(started) };
        }
        catch (PowerException ex)
        {
            LogPowerOffFailed(_logger, target.BladeId, kind, ex.Code, ex.Message);
            throw;
        }
    }

    public Task<PowerStatus> GetStatusAsync(PowerDriverKind kind, PowerTarget target, CancellationToken cancellationToken) =>
        Driver(kind).GetStatusAsync(target, cancellationToken);

    [LoggerMessage(EventId = PowerEventIds.PowerOffFailed, Level = LogLevel.Warning, Message = "Blade {BladeId}: {Driver} power-off failed with {Code}: {Reason}")]
    private static partial void LogPowerOffFailed(ILogger logger, long bladeId, PowerDriverKind driver, string code, string reason);

    [LoggerMessage(EventId = PowerEventIds.PowerRestartFailed, Level = LogLevel.Warning, Message = "Blade {BladeId}: {Driver} restart failed with {Code}: {Reason}")]
    private static partial void LogRestartFailed(ILogger logger, long bladeId, PowerDriverKind driver, string code, string reason);
}
