using BladeProvisioner.Data;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Web.Api;

/// <summary>
/// An admin or operator acting on a blade through the API claims it: it no longer counts against
/// <c>Enrolment:MaxUnclaimedBlades</c>, even when it returns to Discovered after a decommission.
/// </summary>
internal static class BladeClaims
{
    public static async Task ClaimAsync(IDbContextFactory<ApplianceDbContext> contexts, long bladeId, TimeProvider time, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var now = time.GetUtcNow();
        await db.Blades.Where(b => b.Id == bladeId && b.ClaimedAt == null).ExecuteUpdateAsync(s => s.SetProperty(b => b.ClaimedAt, now), ct);
    }
}
