using System.Diagnostics;
using System.Text.Json.Nodes;
using BladeProvisioner.Core.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Power.Redfish;

/// <summary>
/// Redfish over HTTPS with basic auth: find the ComputerSystem (<c>GET /redfish/v1/Systems</c>), PATCH
/// <c>Boot {BootSourceOverrideTarget: Pxe, BootSourceOverrideEnabled: Once}</c>, then POST
/// <c>#ComputerSystem.Reset</c> with a reset type the BMC allows. Tested against recorded responses only: no Redfish
/// emulator is available to the project's test machines.
/// </summary>
internal sealed partial class RedfishDriver(IHttpClientFactory httpClientFactory, IOptions<PowerOptions> options, ILogger<RedfishDriver> logger) : IPowerDriver
{
    public const string HttpClientName = "BladeProvisioner.Power.Redfish";
    private const string SystemsPath = "/redfish/v1/Systems";

    public PowerDriverKind Kind => PowerDriverKind.Redfish;

    public async Task<PowerResult> RestartAsync(PowerTarget target, RestartOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        var started = Stopwatch.GetTimestamp();
        var (session, systemPath) = await OpenAsync(target, cancellationToken);
        var (system, etag) = await session.GetAsync(systemPath, cancellationToken);
        etag ??= Text(system["@odata.etag"]);
        var state = ReadPowerState(system);

        var bootSet = false;
        if (options.BootOnceFromPxe)
        {
            var boot = system["Boot"] as JsonObject;
            var targets = Strings(boot?["BootSourceOverrideTarget@Redfish.AllowableValues"]);
            if (targets is not null && !targets.Contains("Pxe", StringComparer.Ordinal))
            {
                throw new PowerException(PowerErrorCodes.Unsupported, $"Redfish {systemPath}: the BMC offers no PXE boot override (it allows {string.Join(", ", targets)}).");
            }

            var patch = new JsonObject { ["BootSourceOverrideTarget"] = "Pxe", ["BootSourceOverrideEnabled"] = "Once" };
            if (options.Uefi && boot?.ContainsKey("BootSourceOverrideMode") == true)
            {
                patch["BootSourceOverrideMode"] = "UEFI";
            }

            await session.SendJsonAsync(HttpMethod.Patch, systemPath, new JsonObject { ["Boot"] = patch }, etag, cancellationToken);
            bootSet = true;
        }

        var reset = system["Actions"]?["#ComputerSystem.Reset"] as JsonObject;
        var resetPath = Text(reset?["target"]) ?? $"{systemPath}/Actions/ComputerSystem.Reset";
        var allowable = Strings(reset?["ResetType@Redfish.AllowableValues"]);
        var resetType = RedfishResetTypes.Choose(state, options.Method, allowable)
            ?? throw new PowerException(PowerErrorCodes.Unsupported, $"Redfish {systemPath}: no usable reset type among {string.Join(", ", allowable!)}.");
        await session.SendJsonAsync(HttpMethod.Post, resetPath, new JsonObject { ["ResetType"] = resetType }, ifMatch: null, cancellationToken);
        LogRestarted(logger, target.BladeId, session.BaseUri.Authority, resetType, bootSet);

        var message = $"Redfish: {resetType}{(state == PowerState.Off ? " (blade was off)" : string.Empty)}{(bootSet ? " with next boot PXE (once)" : string.Empty)}.";
        return new PowerResult(PowerDriverKind.Redfish, resetType, bootSet, message) { Elapsed = Stopwatch.GetElapsedTime(started) };
    }

    public async Task<PowerResult> PowerOffAsync(PowerTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var started = Stopwatch.GetTimestamp();
        var (session, systemPath) = await OpenAsync(target, cancellationToken);
        var (system, _) = await session.GetAsync(systemPath, cancellationToken);
        if (ReadPowerState(system) == PowerState.Off)
        {
            return new PowerResult(PowerDriverKind.Redfish, "none", false, "Redfish: blade was off already.") { Elapsed = Stopwatch.GetElapsedTime(started) };
        }

        var reset = system["Actions"]?["#ComputerSystem.Reset"] as JsonObject;
        var resetPath = Text(reset?["target"]) ?? $"{systemPath}/Actions/ComputerSystem.Reset";
        var allowable = Strings(reset?["ResetType@Redfish.AllowableValues"]);
        if (allowable is not null && !allowable.Contains("ForceOff", StringComparer.Ordinal))
        {
            throw new PowerException(PowerErrorCodes.Unsupported, $"Redfish {systemPath}: the BMC offers no ForceOff (it allows {string.Join(", ", allowable)}).");
        }

        await session.SendJsonAsync(HttpMethod.Post, resetPath, new JsonObject { ["ResetType"] = "ForceOff" }, ifMatch: null, cancellationToken);
        LogPoweredOff(logger, target.BladeId, session.BaseUri.Authority);
        return new PowerResult(PowerDriverKind.Redfish, "ForceOff", false, "Redfish: ForceOff.") { Elapsed = Stopwatch.GetElapsedTime(started) };
    }

    public async Task<PowerStatus> GetStatusAsync(PowerTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var (session, systemPath) = await OpenAsync(target, cancellationToken);
        var (system, _) = await session.GetAsync(systemPath, cancellationToken);
        var boot = system["Boot"] as JsonObject;
        var enabled = Text(boot?["BootSourceOverrideEnabled"]);
        var overrideTarget = enabled is null or "Disabled" ? null : Text(boot?["BootSourceOverrideTarget"]);
        return new PowerStatus(ReadPowerState(system), overrideTarget);
    }

    private async Task<(RedfishSession Session, string SystemPath)> OpenAsync(PowerTarget target, CancellationToken cancellationToken)
    {
        if (!BmcEndpoint.TryParse(target.BmcAddress, out var endpoint, out var problem))
        {
            throw new PowerException(PowerErrorCodes.NotConfigured, $"Blade {target.BladeId}: {problem}.");
        }

        if (string.IsNullOrEmpty(target.Username) || target.Password is null)
        {
            throw new PowerException(PowerErrorCodes.NotConfigured, $"Blade {target.BladeId}: no BMC user name or password is set.");
        }

        var builder = new UriBuilder(endpoint.Scheme ?? "https", endpoint.Host, endpoint.Port ?? -1);
        var o = options.Value;
        var session = new RedfishSession(
            httpClientFactory.CreateClient(HttpClientName),
            builder.Uri,
            target.Username,
            target.Password,
            target.TrustedCertificateSha256,
            o.RedfishTimeout);

        if (endpoint.Path is { } path && path.StartsWith(SystemsPath + "/", StringComparison.Ordinal))
        {
            return (session, path);
        }

        var (collection, _) = await session.GetAsync(SystemsPath, cancellationToken);
        var members = (collection["Members"] as JsonArray)?.Select(m => Text(m?["@odata.id"])).OfType<string>().ToList() ?? [];
        return members.Count switch
        {
            1 => (session, members[0]),
            0 => throw new PowerException(PowerErrorCodes.ResourceNotFound, $"Redfish {SystemsPath} on {builder.Uri.Authority} lists no system."),
            _ => throw new PowerException(
                PowerErrorCodes.ResourceNotFound,
                $"Redfish {SystemsPath} on {builder.Uri.Authority} lists {members.Count} systems; name this blade's in its BMC address (e.g. https://{builder.Uri.Authority}{members[0]})."),
        };
    }

    private static PowerState ReadPowerState(JsonObject system) => Text(system["PowerState"]) switch
    {
        "On" or "PoweringOn" => PowerState.On,
        "Off" or "PoweringOff" => PowerState.Off,
        _ => PowerState.Unknown,
    };

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;

    private static List<string>? Strings(JsonNode? node) =>
        (node as JsonArray)?.Select(Text).OfType<string>().ToList();

    [LoggerMessage(EventId = PowerEventIds.RedfishDriverRestarted, Level = LogLevel.Information, Message = "Blade {BladeId}: Redfish {Authority} {ResetType} (next boot PXE: {BootSet})")]
    private static partial void LogRestarted(ILogger logger, long bladeId, string authority, string resetType, bool bootSet);

    [LoggerMessage(EventId = PowerEventIds.RedfishDriverPoweredOff, Level = LogLevel.Information, Message = "Blade {BladeId}: Redfish {Authority} ForceOff")]
    private static partial void LogPoweredOff(ILogger logger, long bladeId, string authority);
}
