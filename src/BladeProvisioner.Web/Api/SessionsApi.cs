using BladeProvisioner.Data;
using BladeProvisioner.Storage.Targets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Web.Api;

/// <summary>Live iSCSI sessions as the target service reports them, joined to blades by target IQN.</summary>
internal static class SessionsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/sessions", ListAsync).WithTags("Sessions").WithName("ListSessions");
    }

    private static async Task<Ok<List<SessionView>>> ListAsync(
        ITargetDriver targets, IDbContextFactory<ApplianceDbContext> contexts, long? bladeId, CancellationToken ct)
    {
        var live = await targets.ListAsync(ct);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var byIqn = await db.BootVolumes.AsNoTracking().Select(v => new { v.TargetIqn, v.BladeId, v.Id }).ToListAsync(ct);
        var views = (from t in live
                     join v in byIqn on t.Iqn equals v.TargetIqn into owners
                     from owner in owners.DefaultIfEmpty()
                     from s in t.Sessions
                     where bladeId is null || owner?.BladeId == bladeId
                     select new SessionView(t.Iqn, owner?.BladeId, owner?.Id, s.InitiatorIqn, s.Addresses, s.FirstSeen)).ToList();
        return TypedResults.Ok(views);
    }
}

internal sealed record SessionView(string TargetIqn, long? BladeId, long? VolumeId, string InitiatorIqn, IReadOnlyList<string> Addresses, DateTimeOffset Since);
