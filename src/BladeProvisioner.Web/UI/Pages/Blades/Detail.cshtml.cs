using BladeProvisioner.Core.Blades;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Data;
using BladeProvisioner.Storage.Targets;
using BladeProvisioner.Storage.Volumes;
using BladeProvisioner.Web.Api;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Web.UI.Pages.Blades;

internal sealed class BladeDetailModel(
    IDbContextFactory<ApplianceDbContext> contexts, ITargetDriver targets, IOptions<TargetsOptions> targetOptions, IOptions<VolumeOptions> volumeOptions,
    TimeProvider time) : PageModel
{
    public Blade? Blade { get; private set; }
    public BootVolume? Volume { get; private set; }
    public DonorImage? Image { get; private set; }
    public DonorImage? Assigned { get; private set; }
    public string? Address { get; private set; }
    public string Portal { get; private set; } = "";
    public IReadOnlyList<DonorImage> ActiveImages { get; private set; } = [];
    public IReadOnlyList<LiveSession> Sessions { get; private set; } = [];
    public string? SessionError { get; private set; }
    public IReadOnlyList<Job> Jobs { get; private set; } = [];
    public IReadOnlyList<Event> Events { get; private set; } = [];

    /// <summary>The latest boot's stages, as the API's blade view reports them.</summary>
    public BladeBoot? LastBoot { get; private set; }
    public DateTimeOffset Now { get; private set; }

    /// <summary>The appliance default for blades without their own mutual CHAP setting (<c>Storage:Volumes:MutualChap</c>).</summary>
    public bool DefaultMutualChap => volumeOptions.Value.MutualChap;

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        Now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(ct);
        Blade = await db.Blades.AsNoTracking().SingleOrDefaultAsync(b => b.Id == id, ct);
        if (Blade is null)
        {
            return NotFound();
        }

        Volume = await db.BootVolumes.AsNoTracking().Where(v => v.BladeId == id).OrderByDescending(v => v.Id).FirstOrDefaultAsync(ct);
        Image = Volume is null ? null : await db.DonorImages.AsNoTracking().SingleOrDefaultAsync(i => i.Id == Volume.DonorImageId, ct);
        Assigned = Blade.AssignedImageId is { } a ? await db.DonorImages.AsNoTracking().SingleOrDefaultAsync(i => i.Id == a, ct) : null;
        Address = (await db.DhcpLeases.AsNoTracking().Where(l => l.BladeId == id && l.State == DhcpLeaseState.Bound).OrderByDescending(l => l.UpdatedAt).FirstOrDefaultAsync(ct))?.Address.ToString();
        var o = targetOptions.Value;
        Portal = $"{(o.PortalAddress is "0.0.0.0" or "::" ? Request.Host.Host : o.PortalAddress)}:{o.PortalPort}";
        ActiveImages = (await db.DonorImages.AsNoTracking().Where(i => i.State == DonorImageState.Active || i.State == DonorImageState.Paused)
            .OrderBy(i => i.Name).ThenByDescending(i => i.Version).ToListAsync(ct)).Where(i => i.Supports(Blade.Platform)).ToList();
        Jobs = await db.Jobs.AsNoTracking().Where(j => j.BladeId == id).OrderByDescending(j => j.Id).Take(10).ToListAsync(ct);
        Events = await db.Events.AsNoTracking().Where(e => e.BladeId == id).OrderByDescending(e => e.Id).Take(200).ToListAsync(ct);
        LastBoot = await BladeBoots.LatestAsync(db, id, ct);
        if (Volume is not null)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                Sessions = (await targets.ListAsync(timeout.Token)).FirstOrDefault(t => t.Iqn == Volume.TargetIqn)?.Sessions ?? [];
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                SessionError = "The target service did not answer: " + ex.Message;
            }
        }

        return Page();
    }
}
