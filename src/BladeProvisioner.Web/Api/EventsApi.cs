using BladeProvisioner.Data;
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

    private const int DefaultLimit = 200;
    private const int MaxLimit = 5000;

    /// <summary>
    /// Newest first. <c>bladeId</c> gives a blade's timeline; <c>kind</c> matches a prefix (<c>dhcp.</c>, <c>job.</c>).
    /// Keyset pages: <c>limit</c> (default 200, at most 5000) events with ids below <c>beforeId</c>; a full page has a
    /// <c>Link: rel="next"</c> to the one after it.
    /// </summary>
    private static async Task<Results<Ok<List<EventView>>, ProblemHttpResult>> ListAsync(
        IDbContextFactory<ApplianceDbContext> contexts, long? bladeId, long? jobId, long? imageId, string? kind, DateTimeOffset? since,
        string? beforeId, string? limit, HttpContext http, CancellationToken ct)
    {
        if (!Paging.TryParse(limit, "limit", 1, MaxLimit, DefaultLimit, out var take, out var problem)
            || !Paging.TryParse(beforeId, "beforeId", 1, long.MaxValue, long.MaxValue, out var before, out problem))
        {
            return problem!;
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
            query = query.Where(e => e.Id < before);
        }

        var events = await query.OrderByDescending(e => e.Id).Take((int)take).ToListAsync(ct);
        if (events.Count == take)
        {
            Paging.SetNext(http, new Dictionary<string, string?> { ["beforeId"] = events[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }
        return TypedResults.Ok(events.Select(EventView.From).ToList());
    }
}
