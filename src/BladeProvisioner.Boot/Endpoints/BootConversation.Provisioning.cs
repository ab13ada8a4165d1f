using BladeProvisioner.Boot.Scripts;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Data;
using BladeProvisioner.Provisioning;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Boot.Endpoints;

public sealed partial class BootConversation
{
    public async Task<IResult> MenuAsync(HttpContext http, long? bladeId, string? error, string? errno, string? token)
    {
        if (bladeId is not { } id)
        {
            return Script(Renderer.Entry(new EntryScript(BaseUri(http))));
        }

        if (!await IsAdmittedAsync(http, id, token))
        {
            return Denied(http, id, null, "bad-token", "open the menu");
        }

        // Only the blade's own script gets here, and it sends only a code and iPXE's errno: nothing else is written
        // into the timeline, whatever the query says.
        var text = error switch
        {
            null => null,
            ErrorCodes.SanbootFailed => $"booting from the iSCSI volume failed: {IpxeErrors.Describe(IsErrno(errno) ? errno : null)} ({(IsErrno(errno) ? errno : "no error number")}).",
            _ when IsErrorCode(error) => "the last step ended with " + error + ".",
            _ => "the last step failed.",
        };
        if (text is not null)
        {
            timeline.Record(new TimelineRecord("boot", "boot.error", $"Blade reported: {text}") { BladeId = id, Address = Remote(http) });
        }

        return await RouteAsync(http, id, text);
    }

    /// <summary>The codes the appliance's own scripts send back (ErrorCodes: upper case, digits, underscores).</summary>
    private static bool IsErrorCode(string value) =>
        value.Length is > 0 and <= 48 && value.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_');

    /// <summary>iPXE's <c>${errno}</c>: 0x and eight hex digits (older builds: decimal).</summary>
    private static bool IsErrno(string? value) =>
        value is { Length: > 0 and <= 10 } && (value.StartsWith("0x", StringComparison.Ordinal) ? value[2..].All(char.IsAsciiHexDigit) : value.All(char.IsAsciiDigit));

    public async Task<IResult> ChooseAsync(HttpContext http, long? bladeId, long? imageId, string? token)
    {
        if (bladeId is not { } id || imageId is not { } image)
        {
            return Script(Renderer.Error(new ErrorScript(new BootLinks(BaseUri(http), bladeId ?? 0), "The choice did not name a blade and an image.") { Code = ErrorCodes.ValidationFailed }), 400);
        }

        await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
        var blade = await db.Blades.AsNoTracking().SingleOrDefaultAsync(b => b.Id == id, http.RequestAborted);
        if (blade is null)
        {
            return Script(Renderer.Error(new ErrorScript(new BootLinks(BaseUri(http), id), "This blade is not known to the appliance.") { Code = ErrorCodes.BladeNotFound }), 404);
        }

        // Starting a clone changes state: only the blade itself (its conversation's token) may do it.
        if (!await IsAdmittedAsync(http, id, token))
        {
            return Denied(http, id, blade.BootMac, "bad-token", "choose an image");
        }

        return await ProvisionAsync(http, blade, image, "chosen at the console");
    }

    public async Task<IResult> StatusAsync(HttpContext http, long? bladeId, string? token)
    {
        if (bladeId is not { } id)
        {
            return Script(Renderer.Entry(new EntryScript(BaseUri(http))));
        }

        if (!await IsAdmittedAsync(http, id, token))
        {
            return Denied(http, id, null, "bad-token", "read the progress");
        }

        await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
        var blade = await db.Blades.AsNoTracking().SingleOrDefaultAsync(b => b.Id == id, http.RequestAborted);
        if (blade is null)
        {
            return Script(Renderer.Entry(new EntryScript(BaseUri(http))));
        }

        switch (blade.State)
        {
            case BladeState.Provisioning:
                return await ProgressScriptAsync(http, db, blade);
            case BladeState.Provisioned:
                if (blade.PowerDriver != PowerDriverKind.InBand && time.GetUtcNow() - blade.StateChangedAt < BmcRestartGrace)
                {
                    // The BMC is about to power-cycle the blade; keep the screen honest until it does.
                    var waiting = new ProgressScript(await LinksAsync(http, id), "volume ready") { Percent = 100, Stage = $"restarting through {blade.PowerDriver}" };
                    return Script(Renderer.Progress(waiting));
                }

                timeline.Record(new TimelineRecord("boot", "blade.restart", "Volume ready: restarting in-band (iPXE reboot)") { BladeId = id, Address = Remote(http) });
                return Script(Renderer.Reboot(new RebootScript("The boot volume is ready. Restarting to boot from it.")));
            case BladeState.Failed:
                var failed = await db.Jobs.AsNoTracking()
                    .Where(j => j.BladeId == id && j.Kind == ProvisioningJobs.Provision)
                    .OrderByDescending(j => j.Id)
                    .FirstOrDefaultAsync(http.RequestAborted);
                var message = failed?.Error ?? "provisioning failed.";
                return Script(Renderer.Error(new ErrorScript(await LinksAsync(http, id), "Provisioning failed: " + message) { Code = failed?.ErrorCode ?? ErrorCodes.ProvisioningFailed }));
            default:
                return await RouteAsync(http, id, error: null);
        }
    }

    private async Task<IResult> ProvisionAsync(HttpContext http, Blade blade, long imageId, string how)
    {
        try
        {
            var (volume, job) = await provisioning.ProvisionAsync(blade.Id, imageId, sizeBytes: null, actor: "console", http.RequestAborted);
            timeline.Record(new TimelineRecord("boot", "boot.chosen", $"Image {imageId} {how}; clone job {job.Id}, target {volume.TargetIqn}")
            {
                BladeId = blade.Id,
                JobId = job.Id,
                BootVolumeId = volume.Id,
                DonorImageId = imageId,
                Address = Remote(http),
            });
            await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
            var fresh = await db.Blades.AsNoTracking().SingleAsync(b => b.Id == blade.Id, http.RequestAborted);
            return await ProgressScriptAsync(http, db, fresh);
        }
        catch (DomainException ex)
        {
            timeline.Record(new TimelineRecord("boot", "boot.refused", $"Image {imageId} refused: {ex.Message}")
            {
                BladeId = blade.Id,
                Address = Remote(http),
                Details = new Dictionary<string, object?> { ["code"] = ex.Code },
            });
            return Script(Renderer.Error(new ErrorScript(await LinksAsync(http, blade.Id), ex.Message) { Code = ex.Code }));
        }
    }

    private async Task<IResult> MenuScriptAsync(HttpContext http, ApplianceDbContext db, Blade blade, string? error)
    {
        var images = await MenuImagesAsync(db, blade.Platform, http.RequestAborted);
        var title = $"{blade.Hostname ?? "blade " + blade.Id} ({blade.BootMac})";
        var model = new MenuScript(await LinksAsync(http, blade.Id), title, blade.Platform, images) { Error = error };
        timeline.Record(new TimelineRecord("boot", "boot.menu", $"Menu served with {images.Count} image(s)") { BladeId = blade.Id, Address = Remote(http) });
        return Script(Renderer.Menu(model));
    }

    /// <summary>The newest Active version of each image this firmware can boot, by name: what a menu offers.</summary>
    private static async Task<List<MenuImage>> MenuImagesAsync(ApplianceDbContext db, BootPlatform platform, CancellationToken ct) =>
        (await db.DonorImages.AsNoTracking().Where(i => i.State == DonorImageState.Active).ToListAsync(ct))
            .Where(i => i.Supports(platform))
            .GroupBy(i => i.Name)
            .Select(g => g.OrderByDescending(i => i.Version).First())
            .OrderBy(i => i.Name, StringComparer.Ordinal)
            .Select(i => new MenuImage(i.Id, $"{i.Name} v{i.Version} - {i.OperatingSystem}"))
            .ToList();

    private async Task<IResult> ProgressScriptAsync(HttpContext http, ApplianceDbContext db, Blade blade)
    {
        var volume = await db.BootVolumes.AsNoTracking().Where(v => v.BladeId == blade.Id).OrderByDescending(v => v.Id).FirstOrDefaultAsync(http.RequestAborted);
        var job = volume?.JobId is { } jobId ? await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == jobId, http.RequestAborted) : null;
        var image = volume is null ? null : await db.DonorImages.AsNoTracking().SingleOrDefaultAsync(i => i.Id == volume.DonorImageId, http.RequestAborted);
        var stage = volume?.State switch
        {
            BootVolumeState.Pending => "waiting for a free clone slot",
            BootVolumeState.Cloning => "cloning",
            BootVolumeState.Verifying => "checking the partition table",
            BootVolumeState.Ready => "exporting the iSCSI target",
            BootVolumeState.Exported => "ready",
            _ => "starting",
        };
        var model = new ProgressScript(await LinksAsync(http, blade.Id), image?.DisplayName ?? "image")
        {
            Percent = job is { ProgressTotal: > 0 } ? 100.0 * job.ProgressDone / job.ProgressTotal : null,
            BytesPerSecond = job?.Rate,
            BytesDone = job?.ProgressDone,
            BytesTotal = job?.ProgressTotal,
            Stage = stage,
        };
        return Script(Renderer.Progress(model));
    }
}
