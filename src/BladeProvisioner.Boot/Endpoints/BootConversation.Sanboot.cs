using BladeProvisioner.Boot.Scripts;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Data;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Boot.Endpoints;

public sealed partial class BootConversation
{
    /// <summary>
    /// The script with CHAP secrets. Reached only through <see cref="RouteAsync"/>, i.e. by a request that spent this
    /// blade's boot ticket or one of its conversation's tokens.
    /// </summary>
    private async Task<IResult> SanbootAsync(HttpContext http, ApplianceDbContext db, Blade blade)
    {
        var volume = await db.BootVolumes.AsNoTracking().SingleOrDefaultAsync(v => v.BladeId == blade.Id && v.State == BootVolumeState.Exported, http.RequestAborted);
        if (volume is null || blade.InitiatorIqn is null)
        {
            var text = "This blade is provisioned but its volume is not exported; the appliance is reconciling it.";
            return Script(Renderer.Error(new ErrorScript(await LinksAsync(http, blade.Id), text) { Code = ErrorCodes.VolumeNotExported, ReturnSeconds = 10 }));
        }

        var image = await db.DonorImages.AsNoTracking().SingleOrDefaultAsync(i => i.Id == volume.DonorImageId, http.RequestAborted);
        var model = new SanbootScript(
            await LinksAsync(http, blade.Id),
            blade.InitiatorIqn,
            PortalFor(http),
            volume.TargetIqn,
            new ChapCredentials(volume.ChapUser, secrets.Unprotect(volume.ChapSecretProtected)))
        {
            Lun = volume.Lun,
            Port = targets.Value.PortalPort,
            MutualChap = volume.MutualChapUser is null ? null : new ChapCredentials(volume.MutualChapUser, secrets.Unprotect(volume.MutualChapSecretProtected!)),
            Description = image?.DisplayName,
        };
        var script = Renderer.Sanboot(model);

        // Issuing the script proves nothing about the disk: the blade stays Provisioned until its iSCSI login is seen on
        // its target (Storage's session observer makes it Active then).
        timeline.Record(new TimelineRecord("boot", "boot.sanboot", $"sanboot iscsi:{model.Portal}:::{model.Lun}:{model.TargetIqn} as {model.InitiatorIqn}")
        {
            BladeId = blade.Id,
            BootVolumeId = volume.Id,
            Address = Remote(http),
            Details = new Dictionary<string, object?> { ["portal"] = model.Portal, ["target"] = model.TargetIqn, ["lun"] = model.Lun, ["mutualChap"] = model.MutualChap is not null },
        });
        return Script(script);
    }
}
