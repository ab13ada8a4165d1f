using System.Diagnostics;
using System.Globalization;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Platform.Processes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Power.Ipmi;

/// <summary>
/// IPMI over LAN (RMCP+) through <c>ipmitool -I lanplus</c>: <c>chassis bootdev pxe</c>, then <c>power reset</c> /
/// <c>power cycle</c>, or <c>power on</c> when the blade is off. The password travels in the environment
/// (<c>-E</c>, IPMI_PASSWORD), never on a command line; the user name is redacted from logs.
/// </summary>
internal sealed partial class IpmiDriver(IProcessRunner runner, IOptions<PowerOptions> options, ILogger<IpmiDriver> logger) : IPowerDriver
{
    public const int DefaultPort = 623;

    public PowerDriverKind Kind => PowerDriverKind.Ipmi;

    public async Task<PowerResult> RestartAsync(PowerTarget target, RestartOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        var session = Open(target);
        var started = Stopwatch.GetTimestamp();
        var state = await ReadPowerAsync(session, cancellationToken);

        var bootSet = false;
        if (options.BootOnceFromPxe)
        {
            string[] bootdev = options.Uefi ? ["chassis", "bootdev", "pxe", "options=efiboot"] : ["chassis", "bootdev", "pxe"];
            await RunAsync(session, "boot device", bootdev, cancellationToken);
            bootSet = true;
        }

        string action = state == PowerState.Off ? "on" : options.Method == RestartMethod.Cycle ? "cycle" : "reset";
        await RunAsync(session, $"power {action}", ["power", action], cancellationToken);
        LogRestarted(logger, target.BladeId, session.Host, session.Port, action, bootSet);

        var message = state == PowerState.Off
            ? $"IPMI: blade was off; powered on{(bootSet ? " with next boot PXE" : string.Empty)}."
            : $"IPMI: power {action}{(bootSet ? " with next boot PXE" : string.Empty)}.";
        return new PowerResult(PowerDriverKind.Ipmi, action, bootSet, message) { Elapsed = Stopwatch.GetElapsedTime(started) };
    }

    public async Task<PowerResult> PowerOffAsync(PowerTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var session = Open(target);
        var started = Stopwatch.GetTimestamp();
        if (await ReadPowerAsync(session, cancellationToken) == PowerState.Off)
        {
            return new PowerResult(PowerDriverKind.Ipmi, "none", false, "IPMI: blade was off already.") { Elapsed = Stopwatch.GetElapsedTime(started) };
        }

        await RunAsync(session, "power off", ["power", "off"], cancellationToken);
        LogPoweredOff(logger, target.BladeId, session.Host, session.Port);
        return new PowerResult(PowerDriverKind.Ipmi, "off", false, "IPMI: power off.") { Elapsed = Stopwatch.GetElapsedTime(started) };
    }

    public async Task<PowerStatus> GetStatusAsync(PowerTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var session = Open(target);
        var state = await ReadPowerAsync(session, cancellationToken);
        string? boot = null;
        try
        {
            var result = await RunAsync(session, "boot parameter read", ["chassis", "bootparam", "get", "5"], cancellationToken);
            boot = ParseBootDevice(result.StandardOutput);
        }
        catch (PowerException ex) when (ex.Code == PowerErrorCodes.CommandFailed)
        {
            // Boot flags are optional in IPMI 2.0; the power state alone still answers the question.
        }

        return new PowerStatus(state, boot);
    }

    /// <summary>"Chassis Power is on" → On.</summary>
    internal static PowerState ParsePowerState(string stdout)
    {
        var lower = stdout.ToLowerInvariant();
        return lower.Contains("power is on", StringComparison.Ordinal) ? PowerState.On
            : lower.Contains("power is off", StringComparison.Ordinal) ? PowerState.Off
            : PowerState.Unknown;
    }

    /// <summary>"   - Boot Device Selector : Force PXE" → "Force PXE".</summary>
    internal static string? ParseBootDevice(string stdout)
    {
        foreach (var line in stdout.Split('\n'))
        {
            var i = line.IndexOf("Boot Device Selector", StringComparison.OrdinalIgnoreCase);
            var colon = i < 0 ? -1 : line.IndexOf(':', i);
            if (colon > 0)
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return null;
    }

    private async Task<PowerState> ReadPowerAsync(Session session, CancellationToken cancellationToken)
    {
        var status = await RunAsync(session, "power status", ["power", "status"], cancellationToken);
        var state = ParsePowerState(status.StandardOutput);
        return state != PowerState.Unknown
            ? state
            : throw new PowerException(PowerErrorCodes.ProtocolError, $"IPMI power status gave no state: {IpmiErrors.LastLine(status.StandardOutput)}.");
    }

    private Session Open(PowerTarget target)
    {
        if (!BmcEndpoint.TryParse(target.BmcAddress, out var endpoint, out var problem) || endpoint.Scheme is not null)
        {
            throw new PowerException(PowerErrorCodes.NotConfigured, $"Blade {target.BladeId}: {problem ?? "an IPMI BMC address is a host, not a URL"}.");
        }

        if (string.IsNullOrEmpty(target.Username) || target.Password is null)
        {
            throw new PowerException(PowerErrorCodes.NotConfigured, $"Blade {target.BladeId}: no BMC user name or password is set.");
        }

        return new Session(endpoint.Host, endpoint.Port ?? DefaultPort, target.Username, target.Password);
    }

    private async Task<ProcessResult> RunAsync(Session session, string operation, IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var args = new List<string>
        {
            "-I", "lanplus",
            "-H", session.Host,
            "-p", session.Port.ToString(CultureInfo.InvariantCulture),
            "-U", session.Username,
            "-E",
            "-L", o.IpmiPrivilege,
            "-N", "1",
            "-R", o.IpmiRetries.ToString(CultureInfo.InvariantCulture),
            "-v",
        };
        const int UserIndex = 7;
        if (o.IpmiCipherSuite is { } suite)
        {
            args.Add("-C");
            args.Add(suite.ToString(CultureInfo.InvariantCulture));
        }

        args.AddRange(command);
        var spec = new ProcessSpec(o.IpmiToolPath, args)
        {
            Timeout = o.IpmiTimeout,
            Environment = new Dictionary<string, string> { ["IPMI_PASSWORD"] = session.Password },
            RedactArguments = new HashSet<int> { UserIndex },
        };

        ProcessResult result;
        try
        {
            result = await runner.TryRunAsync(spec, cancellationToken);
        }
        catch (ProcessFailedException ex) when (ex.TimedOut)
        {
            throw new PowerException(PowerErrorCodes.Timeout, $"IPMI {operation}: no answer from {session.Host}:{session.Port} within {o.IpmiTimeout.TotalSeconds:F0} s.", ex);
        }
        catch (ProcessFailedException ex)
        {
            throw new PowerException(PowerErrorCodes.ToolMissing, $"IPMI {operation}: '{o.IpmiToolPath}' could not be started; is ipmitool installed?", ex);
        }

        if (result.ExitCode != 0)
        {
            var failure = IpmiErrors.Classify(operation, result.StandardError + "\n" + result.StandardOutput);
            LogFailed(logger, session.Host, session.Port, operation, failure.Code);
            throw failure;
        }

        return result;
    }

    [LoggerMessage(EventId = PowerEventIds.IpmiDriverRestarted, Level = LogLevel.Information, Message = "Blade {BladeId}: IPMI {Host}:{Port} power {Action} (next boot PXE: {BootSet})")]
    private static partial void LogRestarted(ILogger logger, long bladeId, string host, int port, string action, bool bootSet);

    [LoggerMessage(EventId = PowerEventIds.IpmiDriverPoweredOff, Level = LogLevel.Information, Message = "Blade {BladeId}: IPMI {Host}:{Port} power off")]
    private static partial void LogPoweredOff(ILogger logger, long bladeId, string host, int port);

    [LoggerMessage(EventId = PowerEventIds.IpmiFailed, Level = LogLevel.Warning, Message = "IPMI {Host}:{Port} {Operation} failed with {Code}")]
    private static partial void LogFailed(ILogger logger, string host, int port, string operation, string code);

    private sealed record Session(string Host, int Port, string Username, string Password)
    {
        public override string ToString() => $"{Host}:{Port}";
    }
}
