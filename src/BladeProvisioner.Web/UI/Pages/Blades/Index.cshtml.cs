using BladeProvisioner.Core.Model;
using BladeProvisioner.Data;
using BladeProvisioner.Web.Api;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Web.UI.Pages.Blades;

internal sealed class BladesModel(IDbContextFactory<ApplianceDbContext> contexts, TimeProvider time) : PageModel
{
    public string? Q { get; private set; }
    public BladeState? State { get; private set; }
    public IReadOnlyList<BladeRow> Rows { get; private set; } = [];
    public DateTimeOffset Now { get; private set; }
    public IReadOnlyList<ZeroTouchRule> Rules { get; private set; } = [];
    public IReadOnlyDictionary<long, DonorImage> Images { get; private set; } = new Dictionary<long, DonorImage>();

    /// <summary>The page shown: the API's paging (<see cref="BladeQueries"/>), <see cref="Limit"/> rows from <see cref="Offset"/>.</summary>
    public int Offset { get; private set; }
    public int Limit { get; private set; }
    public int Total { get; private set; }

    public async Task OnGetAsync(string? q, BladeState? state, int? offset, int? limit, CancellationToken ct)
    {
        Q = q;
        State = state;
        Now = time.GetUtcNow();
        Limit = Math.Clamp(limit ?? BladeQueries.DefaultPageSize, 1, BladeQueries.MaxPageSize);
        Offset = Math.Clamp(offset ?? 0, 0, BladeQueries.MaxOffset);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var filtered = db.Blades.AsNoTracking().Filter(state, q);
        Total = await filtered.CountAsync(ct);
        var blades = await filtered.Skip(Offset).Take(Limit).ToListAsync(ct);
        var ids = blades.Select(b => b.Id).ToList();
        var volumes = (await db.BootVolumes.AsNoTracking().Where(v => ids.Contains(v.BladeId)).ToListAsync(ct))
            .GroupBy(v => v.BladeId).ToDictionary(g => g.Key, g => g.OrderByDescending(v => v.Id).First());
        var images = await db.DonorImages.AsNoTracking().ToDictionaryAsync(i => i.Id, ct);
        Images = images;
        Rules = await db.ZeroTouchRules.AsNoTracking().OrderBy(r => r.Chassis).ThenBy(r => r.Slot).ThenBy(r => r.Id).ToListAsync(ct);
        var leases = (await db.DhcpLeases.AsNoTracking().Where(l => l.BladeId != null && ids.Contains(l.BladeId.Value) && l.State == DhcpLeaseState.Bound).ToListAsync(ct))
            .GroupBy(l => l.BladeId!.Value).ToDictionary(g => g.Key, g => g.OrderByDescending(l => l.UpdatedAt).First().Address.ToString());
        Rows = [.. blades.Select(b =>
        {
            var volume = volumes.GetValueOrDefault(b.Id);
            return new BladeRow(b, volume, volume is null ? null : images.GetValueOrDefault(volume.DonorImageId),
                b.AssignedImageId is { } a ? images.GetValueOrDefault(a) : null, leases.GetValueOrDefault(b.Id));
        })];
    }
}

internal sealed record BladeRow(Blade Blade, BootVolume? Volume, DonorImage? Image, DonorImage? Assigned, string? Address);
