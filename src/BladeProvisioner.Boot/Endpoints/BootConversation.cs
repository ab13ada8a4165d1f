using System.Net;
using BladeProvisioner.Boot.Scripts;
using BladeProvisioner.Core.Blades;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Naming;
using BladeProvisioner.Core.Security;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Data;
using BladeProvisioner.Provisioning;
using BladeProvisioner.Storage.Targets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Boot.Endpoints;

/// <summary>
/// Decides which script a blade gets, from the database: menu (Discovered, Failed), progress (Provisioning), sanboot
/// (Provisioned, Active), a wait (Decommissioning). A pre-assigned image skips the menu (zero-touch).
/// </summary>
public sealed partial class BootConversation(
    IDbContextFactory<ApplianceDbContext> contexts,
    IBladeDirectory directory,
    ProvisioningService provisioning,
    BootAccess access,
    ISecretProtector secrets,
    ITimeline timeline,
    IOptions<TargetsOptions> targets,
    TimeProvider time)
{
    internal static readonly IpxeScriptRenderer Renderer = new();

    /// <summary>In-band blades restart from their progress screen; BMC blades get this long to be restarted by their BMC first.</summary>
    private static readonly TimeSpan BmcRestartGrace = TimeSpan.FromSeconds(20);

    public Task<IResult> EntryAsync(HttpContext http)
    {
        var script = Renderer.Entry(new EntryScript(BaseUri(http)));
        timeline.Record(new TimelineRecord("boot", "boot.entry", "Entry script served") { Address = Remote(http) });
        return Task.FromResult(Script(script));
    }

    public async Task<IResult> IdentifyAsync(HttpContext http, BladeIdentity identity, string? token)
    {
        if (!MacAddress.TryParse(identity.Mac, out var bootMac))
        {
            return Script(Renderer.Error(new ErrorScript(new BootLinks(BaseUri(http), 0), $"iPXE sent no usable MAC address ('{identity.Mac}').") { Code = ErrorCodes.InvalidMac }), 400);
        }

        var mac = bootMac.ToString();
        var profile = await directory.SightAsync(identity.ToSighting(mac) with { Address = Remote(http) }, http.RequestAborted);
        timeline.Record(new TimelineRecord("boot", "boot.identify", $"iPXE identified {mac} ({identity.Platform}/{identity.BuildArch}, {identity.Manufacturer} {identity.Product}, serial {identity.Serial})")
        {
            BladeId = profile.BladeId,
            Address = Remote(http),
            Details = new Dictionary<string, object?>
            {
                ["mac"] = mac,
                ["uuid"] = identity.Uuid,
                ["serial"] = identity.Serial,
                ["manufacturer"] = identity.Manufacturer,
                ["product"] = identity.Product,
                ["platform"] = identity.Platform,
                ["buildarch"] = identity.BuildArch,
            },
        });
        return await RouteAsync(http, profile.BladeId, token, error: null);
    }

    /// <summary>The script for the blade's current state.</summary>
    private async Task<IResult> RouteAsync(HttpContext http, long bladeId, string? token, string? error)
    {
        await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
        var blade = await db.Blades.AsNoTracking().SingleOrDefaultAsync(b => b.Id == bladeId, http.RequestAborted);
        if (blade is null)
        {
            return Script(Renderer.Error(new ErrorScript(new BootLinks(BaseUri(http), bladeId), "This blade is not known to the appliance.") { Code = ErrorCodes.BladeNotFound }), 404);
        }

        switch (blade.State)
        {
            case BladeState.Discovered or BladeState.Failed:
                if (error is null && blade.State == BladeState.Discovered)
                {
                    if (blade.AssignedImageId is { } assigned)
                    {
                        return await ProvisionAsync(http, blade, assigned, "zero-touch assignment");
                    }

                    if (await ZeroTouchRuleForAsync(db, blade, http.RequestAborted) is { } rule)
                    {
                        return await ProvisionAsync(http, blade, rule.DonorImageId, $"by zero-touch rule {rule.Id} ({rule.Describe()})");
                    }
                }

                return await MenuScriptAsync(http, db, blade, error);
            case BladeState.Provisioning:
                return await ProgressScriptAsync(http, db, blade);
            case BladeState.Provisioned or BladeState.Active:
                return await SanbootAsync(http, db, blade, token);
            default:
                var text = $"This blade is being decommissioned ({blade.State}); it will show the menu when that is done.";
                return Script(Renderer.Error(new ErrorScript(await LinksAsync(http, blade.Id), text) { Code = blade.State.ToString().ToUpperInvariant(), ReturnSeconds = 10 }));
        }
    }

    /// <summary>The rule for a blade not pre-assigned on its own record: its SMBIOS UUID first, then its chassis slot.</summary>
    private static async Task<ZeroTouchRule?> ZeroTouchRuleForAsync(ApplianceDbContext db, Blade blade, CancellationToken ct)
    {
        var rules = db.ZeroTouchRules.AsNoTracking();
        if (blade.SmbiosUuid is { } uuid && await rules.FirstOrDefaultAsync(r => r.SmbiosUuid == uuid, ct) is { } byUuid)
        {
            return byUuid;
        }

        return blade is { Chassis: { } chassis, Slot: { } slot }
            ? await rules.FirstOrDefaultAsync(r => r.Chassis == chassis && r.Slot == slot, ct)
            : null;
    }

    private async Task<BootLinks> LinksAsync(HttpContext http, long bladeId) =>
        new(BaseUri(http), bladeId, await access.IssueAsync(bladeId, http.RequestAborted));

    /// <summary>The base URL the blade reached us on: its next requests go to the same place.</summary>
    internal static Uri BaseUri(HttpContext http) => new($"{http.Request.Scheme}://{http.Request.Host}/");

    internal static IPAddress? Remote(HttpContext http) =>
        http.Connection.RemoteIpAddress is { IsIPv4MappedToIPv6: true } a ? a.MapToIPv4() : http.Connection.RemoteIpAddress;

    internal static IResult Script(string text, int status = StatusCodes.Status200OK) =>
        Results.Text(text, "text/plain; charset=utf-8", System.Text.Encoding.UTF8, status);

    /// <summary>The iSCSI portal a blade should dial: the configured one, else the address it reached us on.</summary>
    private string PortalFor(HttpContext http)
    {
        var configured = targets.Value.PortalAddress;
        if (!string.IsNullOrWhiteSpace(configured) && configured is not "0.0.0.0" and not "::")
        {
            return configured;
        }

        return (http.Connection.LocalIpAddress is { IsIPv4MappedToIPv6: true } l ? l.MapToIPv4() : http.Connection.LocalIpAddress)?.ToString()
            ?? http.Request.Host.Host;
    }
}
