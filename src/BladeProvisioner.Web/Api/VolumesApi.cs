using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Data;
using BladeProvisioner.Web.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Web.Api;

internal static class VolumesApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/volumes").WithTags("Volumes");
        g.MapGet("/", ListAsync).WithName("ListVolumes");
        g.MapGet("/{id:long}", GetAsync).WithName("GetVolume");
    }

    private static async Task<Ok<List<VolumeView>>> ListAsync(
        IDbContextFactory<ApplianceDbContext> contexts, long? bladeId, long? imageId, BootVolumeState? state, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var query = db.BootVolumes.AsNoTracking();
        if (bladeId is not null)
        {
            query = query.Where(v => v.BladeId == bladeId);
        }

        if (imageId is not null)
        {
            query = query.Where(v => v.DonorImageId == imageId);
        }

        if (state is not null)
        {
            query = query.Where(v => v.State == state);
        }

        var volumes = await query.OrderBy(v => v.Id).ToListAsync(ct);
        return TypedResults.Ok(volumes.Select(VolumeView.From).ToList());
    }

    private static async Task<Results<Ok<VolumeView>, ProblemHttpResult>> GetAsync(long id, IDbContextFactory<ApplianceDbContext> contexts, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var v = await db.BootVolumes.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, ct);
        return v is null ? ApiProblems.From(ErrorCodes.VolumeNotFound, ErrorKind.NotFound, $"Volume {id} does not exist.") : TypedResults.Ok(VolumeView.From(v));
    }
}
