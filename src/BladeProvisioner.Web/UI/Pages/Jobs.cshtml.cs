using BladeProvisioner.Core.Model;
using BladeProvisioner.Data;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Web.UI.Pages;

internal sealed class JobsModel(IDbContextFactory<ApplianceDbContext> contexts) : PageModel
{
    public IReadOnlyList<Job> Jobs { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        Jobs = await db.Jobs.AsNoTracking().OrderByDescending(j => j.Id).Take(200).ToListAsync(ct);
    }
}
