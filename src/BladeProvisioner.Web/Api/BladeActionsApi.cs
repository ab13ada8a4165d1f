using BladeProvisioner.Core.Boot;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Data;
using BladeProvisioner.Power;
using BladeProvisioner.Provisioning;
using BladeProvisioner.Web.Auth;
using BladeProvisioner.Web.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Web.Api;

/// <summary>What operators do to blades: provision, decommission, restart, and preview the boot script.</summary>
internal static class BladeActionsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/blades/{id:long}").WithTags("Blades");
        g.MapPost("/provision", ProvisionAsync).WithName("ProvisionBlade").RequireAuthorization(AuthRoles.OperatePolicy);
        g.MapPost("/decommission", DecommissionAsync).WithName("DecommissionBlade").RequireAuthorization(AuthRoles.OperatePolicy);
        g.MapPost("/restart", RestartAsync).WithName("RestartBlade").RequireAuthorization(AuthRoles.OperatePolicy);
        api.MapGet("/boot/preview", PreviewAsync).WithTags("Boot").WithName("PreviewBootScript");
    }

    private static async Task<Accepted<ProvisionStarted>> ProvisionAsync(
        long id, ProvisionBody body, ProvisioningService provisioning, IDbContextFactory<ApplianceDbContext> contexts, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        if (body.ImageId is not { } imageId)
        {
            throw DomainException.Invalid(ErrorCodes.ValidationFailed, "imageId is required.");
        }

        if (body.SizeBytes is <= 0)
        {
            throw DomainException.Invalid(ErrorCodes.ValidationFailed, "sizeBytes must be positive.");
        }

        var (volume, job) = await provisioning.ProvisionAsync(id, imageId, body.SizeBytes, Actor.Of(http), ct);
        await BladeClaims.ClaimAsync(contexts, id, time, ct);
        return TypedResults.Accepted($"/api/jobs/{job.Id}", new ProvisionStarted(VolumeView.From(volume), JobView.From(job)));
    }

    private static async Task<Accepted<JobView>> DecommissionAsync(
        long id, ProvisioningService provisioning, IDbContextFactory<ApplianceDbContext> contexts, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        var job = await provisioning.DecommissionAsync(id, Actor.Of(http), ct);
        await BladeClaims.ClaimAsync(contexts, id, time, ct);
        return TypedResults.Accepted($"/api/jobs/{job.Id}", JobView.From(job));
    }

    private static async Task<Results<Ok<RestartView>, ProblemHttpResult>> RestartAsync(
        long id, IDbContextFactory<ApplianceDbContext> contexts, BladePower bladePower, HttpContext http, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var blade = await db.Blades.AsNoTracking().SingleOrDefaultAsync(b => b.Id == id, ct);
        if (blade is null)
        {
            return ApiProblems.From(ErrorCodes.BladeNotFound, ErrorKind.NotFound, $"Blade {id} does not exist.");
        }

        if (blade.PowerDriver == PowerDriverKind.InBand)
        {
            return ApiProblems.From(ErrorCodes.PowerInBand, ErrorKind.Conflict, "This blade has no BMC configured; it restarts itself from its iPXE scripts. Configure IPMI or Redfish to restart it from here.");
        }

        try
        {
            var result = await bladePower.RestartAsync(blade, Actor.Of(http), jobId: null, ct);
            return TypedResults.Ok(new RestartView(blade.PowerDriver, result.Action, result.BootOverrideSet, result.Message));
        }
        catch (PowerException ex)
        {
            return ApiProblems.From(ex.Code, ErrorKind.Failure, ex.Message);
        }
    }

    /// <summary>The script a blade with this identity would receive now; no side effects, secrets masked.</summary>
    private static async Task<IResult> PreviewAsync(string? mac, BootPlatform? platform, IBootScriptPreview preview, HttpContext http, CancellationToken ct)
    {
        var baseUri = new Uri($"{http.Request.Scheme}://{http.Request.Host}/");
        var script = await preview.PreviewAsync(baseUri, mac, platform ?? BootPlatform.Unknown, http.Request.Host.Host, ct);
        return Results.Text(script, "text/plain; charset=utf-8");
    }
}

internal sealed record ProvisionBody(long? ImageId, long? SizeBytes);

internal sealed record ProvisionStarted(VolumeView Volume, JobView Job);

internal sealed record RestartView(PowerDriverKind Driver, string Action, bool BootOverrideSet, string Message);
