using BladeProvisioner.Core.Model;
using BladeProvisioner.Data;
using BladeProvisioner.Storage.Capacity;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Web.UI.Pages;

internal sealed class DashboardModel(IDbContextFactory<ApplianceDbContext> contexts, StorageCapacity capacity, TimeProvider time) : PageModel
{
    public int BladeTotal { get; private set; }
    public IReadOnlyList<(BladeState State, int Count)> BladesByState { get; private set; } = [];
    public IReadOnlyList<(DonorImageState State, int Count)> ImagesByState { get; private set; } = [];
    public IReadOnlyList<Job> RunningJobs { get; private set; } = [];
    public IReadOnlyList<Event> RecentEvents { get; private set; } = [];
    public long ImageBytes { get; private set; }
    public long VolumeBytes { get; private set; }
    public int VolumeCount { get; private set; }

    /// <summary>Each filesystem the appliance writes to, with its roles, reserve and the work in progress on it.</summary>
    public IReadOnlyList<FilesystemCapacity> Filesystems { get; private set; } = [];
    public DateTimeOffset Now { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(ct);
        var blades = await db.Blades.AsNoTracking().GroupBy(b => b.State).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        BladeTotal = blades.Sum(b => b.Count);
        BladesByState = [.. blades.OrderBy(b => b.Key).Select(b => (b.Key, b.Count))];
        var imageStates = await db.DonorImages.AsNoTracking().GroupBy(i => i.State).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        ImagesByState = [.. imageStates.OrderBy(i => i.Key).Select(i => (i.Key, i.Count))];
        ImageBytes = await db.DonorImages.SumAsync(i => i.AllocatedSize, ct);
        VolumeCount = await db.BootVolumes.CountAsync(ct);
        VolumeBytes = await db.BootVolumes.SumAsync(v => v.SizeBytes, ct);
        RunningJobs = await db.Jobs.AsNoTracking().Where(j => j.State == JobState.Running || j.State == JobState.Queued).OrderBy(j => j.Id).Take(20).ToListAsync(ct);
        RecentEvents = await db.Events.AsNoTracking().OrderByDescending(e => e.Id).Take(25).ToListAsync(ct);
        Filesystems = capacity.Measure(await capacity.CommittedAsync(db, ct));
    }
}
