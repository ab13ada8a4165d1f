using BladeProvisioner.Data;
using BladeProvisioner.Web.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Web.Api;

internal static class EventsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/events").WithTags("Events");
        g.MapGet("/", ListAsync).WithName("ListEvents");
    }

    /// <summary>Newest first. <c>bladeId</c> gives a blade's timeline; <c>kind</c> matches a prefix (<c>dhcp.</c>, <c>job.</c>).</summary>
    private static async Task<Results<Ok<List<EventView>>, ProblemHttpResult>> ListAsync(
        IDbContextFactory<ApplianceDbContext> contexts, long? bladeId, long? jobId, long? imageId, string? kind, DateTimeOffset? since,
        long? beforeId, int? limit, CancellationToken ct)
    {
        if (limit is < 1 or > 5000)
        {
            return ApiProblems.Invalid("limit must be between 1 and 5000.");
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        var query = db.Events.AsNoTracking();
        if (bladeId is not null)
        {
            query = query.Where(e => e.BladeId == bladeId);
        }

        if (jobId is not null)
        {
            query = query.Where(e => e.JobId == jobId);
        }

        if (imageId is not null)
        {
            query = query.Where(e => e.DonorImageId == imageId);
        }

        if (!string.IsNullOrEmpty(kind))
        {
            query = query.Where(e => e.Kind.StartsWith(kind));
        }

        if (since is not null)
        {
            query = query.Where(e => e.At >= since);
        }

        if (beforeId is not null)
        {
            query = query.Where(e => e.Id < beforeId);
        }

        var events = await query.OrderByDescending(e => e.Id).Take(limit ?? 200).ToListAsync(ct);
        return TypedResults.Ok(events.Select(EventView.From).ToList());
    }
}
