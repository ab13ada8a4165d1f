using System.Net;
using BladeProvisioner.Boot.Scripts;
using BladeProvisioner.Core.Blades;
using BladeProvisioner.Core.Boot;
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
/// Admission: <c>/boot/blade</c> needs the boot ticket of a DHCP answer the appliance just gave this MAC; every later
/// request needs the one-time token the previous script carried, from the same address. Nothing is enrolled, started
/// or disclosed for a request without them.
/// </summary>
public sealed partial class BootConversation(
    IDbContextFactory<ApplianceDbContext> contexts,
    IBladeDirectory directory,
    ProvisioningService provisioning,
    BootAccess access,
    BootTickets tickets,
    BootMetrics metrics,
    ISecretProtector secrets,
    ITimeline timeline,
    IOptions<TargetsOptions> targets,
    IOptions<BootOptions> boot,
    TimeProvider time)
{
    internal static readonly IpxeScriptRenderer Renderer = new();
    private readonly DenialRecorder _denials = new(time);

    /// <summary>In-band blades restart from their progress screen; BMC blades get this long to be restarted by their BMC first.</summary>
    private static readonly TimeSpan BmcRestartGrace = TimeSpan.FromSeconds(20);

    /// <summary>The entry script: carries the DHCP answer's ticket on to <c>/boot/blade</c> (checked there, where the MAC is known).</summary>
    public Task<IResult> EntryAsync(HttpContext http, string? ticket)
    {
        var script = Renderer.Entry(new EntryScript(BaseUri(http)) { Ticket = BootSecrets.IsWellFormed(ticket) ? ticket : null });
        timeline.Record(new TimelineRecord("boot", "boot.entry", "Entry script served") { Address = Remote(http) });
        return Task.FromResult(Script(script));
    }

    public async Task<IResult> IdentifyAsync(HttpContext http, BladeIdentity identity, string? ticket)
    {
        if (!MacAddress.TryParse(identity.Mac, out var bootMac))
        {
            return Script(Renderer.Error(new ErrorScript(new BootLinks(BaseUri(http), 0), $"iPXE sent no usable MAC address ('{identity.Mac}').") { Code = ErrorCodes.InvalidMac }), 400);
        }

        var mac = bootMac.ToString();
        if (ticket is not null || boot.Value.RequireDhcpTicket)
        {
            if (!await tickets.TrySpendAsync(ticket, mac, Remote(http), http.RequestAborted))
            {
                var reason = ticket is null ? "no-ticket" : "bad-ticket";
                return Denied(http, null, mac, reason, "identify as " + mac);
            }
        }

        var profile = await directory.SightAsync(identity.ToSighting(mac) with { Address = Remote(http) }, http.RequestAborted);
        await RememberBaseAsync(http, profile.BladeId);
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
        return await RouteAsync(http, profile.BladeId, error: null);
    }

    /// <summary>The script for the blade's current state. Only for an admitted request (ticket or token spent).</summary>
    private async Task<IResult> RouteAsync(HttpContext http, long bladeId, string? error)
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
                        if (await ClaimAsync(db, rule, blade, http.RequestAborted))
                        {
                            return await ProvisionAsync(http, blade, rule.DonorImageId, $"by zero-touch rule {rule.Id} ({rule.Describe()})");
                        }

                        timeline.Record(new TimelineRecord("boot", "zero-touch.conflict", $"Zero-touch rule {rule.Id} ({rule.Describe()}) already provisioned blade {rule.BladeId}: this blade gets the menu")
                        {
                            BladeId = blade.Id,
                            Address = Remote(http),
                        });
                        error = $"zero-touch rule {rule.Id} ({rule.Describe()}) belongs to blade {rule.BladeId}; an administrator has to look.";
                    }
                }

                return await MenuScriptAsync(http, db, blade, error);
            case BladeState.Provisioning:
                return await ProgressScriptAsync(http, db, blade);
            case BladeState.Provisioned or BladeState.Active:
                return await SanbootAsync(http, db, blade);
            default:
                var text = $"This blade is being decommissioned ({blade.State}); it will show the menu when that is done.";
                return Script(Renderer.Error(new ErrorScript(await LinksAsync(http, blade.Id), text) { Code = blade.State.ToString().ToUpperInvariant(), ReturnSeconds = 10 }));
        }
    }

    /// <summary>
    /// A UUID rule is claimed by the first blade it provisions and applies to that blade only; a slot rule to whatever
    /// blade is in the slot. The claim is one conditional update, so two blades racing for one UUID cannot both win.
    /// </summary>
    private static async Task<bool> ClaimAsync(ApplianceDbContext db, ZeroTouchRule rule, Blade blade, CancellationToken ct) =>
        rule.SmbiosUuid is null
        || await db.ZeroTouchRules
            .Where(r => r.Id == rule.Id && (r.BladeId == null || r.BladeId == blade.Id))
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.BladeId, blade.Id), ct) == 1;

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

    /// <summary>Links for the blade's next request, with a token only this blade, from this address, can spend once.</summary>
    private async Task<BootLinks> LinksAsync(HttpContext http, long bladeId) =>
        new(BaseUri(http), bladeId, await access.IssueAsync(bladeId, Remote(http) ?? IPAddress.None, http.RequestAborted));

    /// <summary>Spends the token the blade's previous script carried; false for anyone else.</summary>
    private Task<bool> IsAdmittedAsync(HttpContext http, long bladeId, string? token) =>
        access.TrySpendAsync(bladeId, token, Remote(http), http.RequestAborted);

    /// <summary>
    /// 403 with a script that says so; counted, and on the timeline at most once a minute per caller. iPXE does not run
    /// a script it got with 403: the blade's own script falls back to a fresh DHCP exchange, which brings a new ticket.
    /// </summary>
    private IResult Denied(HttpContext http, long? bladeId, string? mac, string reason, string what)
    {
        metrics.Denied(reason);
        if (_denials.ShouldRecord(Remote(http)))
        {
            var summary = $"{Remote(http)} tried to {what}{(bladeId is null ? string.Empty : $" of blade {bladeId}")}: {reason switch
            {
                "no-ticket" => "no boot ticket (not a boot the appliance's DHCP service answered)",
                "bad-ticket" => "its boot ticket is unknown, spent, expired, or was issued to another MAC or address",
                _ => "no valid one-time token of that blade's conversation from this address",
            }}";
            timeline.Record(new TimelineRecord("boot", "boot.denied", summary)
            {
                BladeId = bladeId,
                Address = Remote(http),
                Details = new Dictionary<string, object?> { ["reason"] = reason, ["mac"] = mac },
            });
        }

        return Results.Text("#!ipxe\necho BladeProvisioner: this request is not admitted (" + reason + ").\nexit 1\n", "text/plain; charset=utf-8", System.Text.Encoding.UTF8, StatusCodes.Status403Forbidden);
    }

    /// <summary>The base URL this blade's scripts use, kept for its clone's cloud-init phone-home (the address the blade reaches).</summary>
    private async Task RememberBaseAsync(HttpContext http, long bladeId)
    {
        var url = BaseUri(http).ToString();
        await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
        await db.Blades.Where(b => b.Id == bladeId && (b.BootBaseUrl == null || b.BootBaseUrl != url))
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.BootBaseUrl, url), http.RequestAborted);
    }

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
