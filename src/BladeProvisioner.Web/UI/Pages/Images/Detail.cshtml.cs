using BladeProvisioner.Core.Model;
using BladeProvisioner.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Web.UI.Pages.Images;

internal sealed class ImageDetailModel(IDbContextFactory<ApplianceDbContext> contexts) : PageModel
{
    public DonorImage? Image { get; private set; }
    public IReadOnlyList<DonorImage> Versions { get; private set; } = [];
    public IReadOnlyList<BootVolume> Volumes { get; private set; } = [];
    public IReadOnlyList<Job> Jobs { get; private set; } = [];
    public IReadOnlyList<Event> Events { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        Image = await db.DonorImages.AsNoTracking().SingleOrDefaultAsync(i => i.Id == id, ct);
        if (Image is null)
        {
            return NotFound();
        }

        Versions = await db.DonorImages.AsNoTracking().Where(i => i.Name == Image.Name && i.Id != id).OrderBy(i => i.Version).ToListAsync(ct);
        Volumes = await db.BootVolumes.AsNoTracking().Where(v => v.DonorImageId == id).OrderBy(v => v.Id).ToListAsync(ct);
        Jobs = await db.Jobs.AsNoTracking().Where(j => j.DonorImageId == id).OrderByDescending(j => j.Id).Take(5).ToListAsync(ct);
        Events = await db.Events.AsNoTracking().Where(e => e.DonorImageId == id).OrderByDescending(e => e.Id).Take(50).ToListAsync(ct);
        return Page();
    }
}
