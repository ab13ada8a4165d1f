using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Data;
using BladeProvisioner.Jobs;
using BladeProvisioner.Web.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Web.Api;

internal static class JobsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/jobs").WithTags("Jobs");
        g.MapGet("/", ListAsync).WithName("ListJobs");
        g.MapGet("/{id:long}", GetAsync).WithName("GetJob");
        g.MapPost("/{id:long}/cancel", async (long id, JobService jobs, HttpContext http, CancellationToken ct) =>
            TypedResults.Ok(JobView.From(await jobs.CancelAsync(id, Actor.Of(http), ct)))).WithName("CancelJob");
        g.MapPost("/{id:long}/retry", async (long id, JobService jobs, HttpContext http, CancellationToken ct) =>
            TypedResults.Ok(JobView.From(await jobs.RetryAsync(id, Actor.Of(http), ct)))).WithName("RetryJob");
    }

    private static async Task<Ok<List<JobView>>> ListAsync(
        IDbContextFactory<ApplianceDbContext> contexts, JobState? state, string? kind, long? bladeId, int? limit, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var query = db.Jobs.AsNoTracking();
        if (state is not null)
        {
            query = query.Where(j => j.State == state);
        }

        if (kind is not null)
        {
            query = query.Where(j => j.Kind == kind);
        }

        if (bladeId is not null)
        {
            query = query.Where(j => j.BladeId == bladeId);
        }

        var jobs = await query.OrderByDescending(j => j.Id).Take(Math.Clamp(limit ?? 100, 1, 1000)).ToListAsync(ct);
        return TypedResults.Ok(jobs.Select(JobView.From).ToList());
    }

    private static async Task<Results<Ok<JobView>, ProblemHttpResult>> GetAsync(long id, IDbContextFactory<ApplianceDbContext> contexts, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var job = await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == id, ct);
        return job is null ? ApiProblems.From(ErrorCodes.JobNotFound, ErrorKind.NotFound, $"Job {id} does not exist.") : TypedResults.Ok(JobView.From(job));
    }
}
