using BladeProvisioner.Core.Model;
using BladeProvisioner.Data;
using BladeProvisioner.Storage.Images;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Web.UI.Pages.Images;

internal sealed class ImagesModel(IDbContextFactory<ApplianceDbContext> contexts, ImageStore store) : PageModel
{
    public IReadOnlyList<DonorImage> Images { get; private set; } = [];
    public IReadOnlyDictionary<long, int> VolumeCounts { get; private set; } = new Dictionary<long, int>();
    public IReadOnlyList<string> ImportRoots => store.ImportRoots;

    public async Task OnGetAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        Images = await db.DonorImages.AsNoTracking().OrderBy(i => i.Name).ThenByDescending(i => i.Version).ToListAsync(ct);
        VolumeCounts = await db.BootVolumes.GroupBy(v => v.DonorImageId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
    }
}
