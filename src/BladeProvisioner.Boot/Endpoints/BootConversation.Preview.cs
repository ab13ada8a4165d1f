using BladeProvisioner.Boot.Scripts;
using BladeProvisioner.Core.Boot;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Naming;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Boot.Endpoints;

public sealed partial class BootConversation : IBootScriptPreview
{
    private const string MaskedSecret = "****************";

    /// <summary>
    /// Dry run: the script a blade with this identity would get now, with no side effect at all — nothing enrolled, no
    /// token issued, no clone started, no state changed — and CHAP secrets masked.
    /// </summary>
    public Task<string> PreviewAsync(Uri baseUri, string? mac, BootPlatform platform, string requestHost, CancellationToken ct) =>
        RenderPreviewAsync(baseUri, mac, platform, PreviewPortal(requestHost), ct);

    private async Task<string> RenderPreviewAsync(Uri baseUri, string? macText, BootPlatform platform, string portal, CancellationToken ct)
    {
        var mac = MacAddress.Parse(macText).ToString();
        await using var db = await contexts.CreateDbContextAsync(ct);
        var blade = await db.Blades.AsNoTracking().SingleOrDefaultAsync(b => b.BootMac == mac, ct)
            ?? new Blade { BootMac = mac, Platform = platform, Hostname = "new blade" };
        if (blade.Platform == BootPlatform.Unknown)
        {
            blade.Platform = platform;
        }

        var links = new BootLinks(baseUri, blade.Id);
        var (zeroTouch, how) = blade.State != BladeState.Discovered ? (null, "")
            : blade.AssignedImageId is { } assigned ? (assigned, "zero-touch assignment")
            : await ZeroTouchRuleForAsync(db, blade, ct) is { } rule ? (rule.DonorImageId, $"zero-touch rule {rule.Id} ({rule.Describe()})")
            : ((long?)null, "");
        switch (blade.State)
        {
            case BladeState.Discovered when zeroTouch is { } imageId:
                var image = await db.DonorImages.AsNoTracking().SingleOrDefaultAsync(i => i.Id == imageId, ct);
                return $"# dry run: {how} would start cloning {image?.DisplayName ?? "image " + imageId}\n"
                    + Renderer.Progress(new ProgressScript(links, image?.DisplayName ?? "image") { Stage = "starting" });
            case BladeState.Discovered or BladeState.Failed:
                var images = await MenuImagesAsync(db, blade.Platform, ct);
                return Renderer.Menu(new MenuScript(links, $"{blade.Hostname} ({blade.BootMac})", blade.Platform, images));
            case BladeState.Provisioning:
                return Renderer.Progress(new ProgressScript(links, "image") { Stage = "cloning" });
            case BladeState.Provisioned or BladeState.Active:
                var volume = await db.BootVolumes.AsNoTracking().SingleOrDefaultAsync(v => v.BladeId == blade.Id && v.State == BootVolumeState.Exported, ct)
                    ?? throw DomainException.Conflict(ErrorCodes.VolumeNotExported, $"Blade {blade.Id} is {blade.State} but has no exported volume.");
                return Renderer.Sanboot(new SanbootScript(links, blade.InitiatorIqn!, portal, volume.TargetIqn, new ChapCredentials(volume.ChapUser, MaskedSecret))
                {
                    Lun = volume.Lun,
                    Port = targets.Value.PortalPort,
                    MutualChap = volume.MutualChapUser is null ? null : new ChapCredentials(volume.MutualChapUser, MaskedSecret),
                });
            default:
                return Renderer.Error(new ErrorScript(links, $"This blade is being decommissioned ({blade.State}).") { Code = blade.State.ToString().ToUpperInvariant() });
        }
    }

    /// <summary>The portal a dry run shows: the configured address, or the one named by the caller.</summary>
    private string PreviewPortal(string fallback) =>
        targets.Value.PortalAddress is { Length: > 0 } p and not "0.0.0.0" and not "::" ? p : fallback;
}
