using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Data;
using BladeProvisioner.Storage.CloudInit;
using BladeProvisioner.Storage.Images;
using BladeProvisioner.Web.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Web.Api;

internal static class ImagesApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/images").WithTags("Images");
        g.MapGet("/", ListAsync).WithName("ListImages");
        g.MapGet("/{id:long}", GetAsync).WithName("GetImage");
        g.MapPost("/import", ImportAsync).WithName("ImportImage");
        g.MapPost("/{id:long}/pause", (long id, ImageService s, HttpContext h, CancellationToken ct) => ChangeAsync(id, DonorImageState.Paused, s, h, ct)).WithName("PauseImage");
        g.MapPost("/{id:long}/activate", (long id, ImageService s, HttpContext h, CancellationToken ct) => ChangeAsync(id, DonorImageState.Active, s, h, ct)).WithName("ActivateImage");
        g.MapPost("/{id:long}/retire", (long id, ImageService s, HttpContext h, CancellationToken ct) => ChangeAsync(id, DonorImageState.Retired, s, h, ct)).WithName("RetireImage");
        g.MapPatch("/{id:long}", PatchAsync).WithName("UpdateImage");
        g.MapDelete("/{id:long}", DeleteAsync).WithName("DeleteImage");
        api.MapPost("/blades/{id:long}/capture", CaptureAsync).WithTags("Images").WithName("CaptureBlade");
    }

    private static async Task<Ok<List<ImageView>>> ListAsync(
        IDbContextFactory<ApplianceDbContext> contexts, string? name, DonorImageState? state, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var query = db.DonorImages.AsNoTracking();
        if (name is not null)
        {
            query = query.Where(i => i.Name == name);
        }

        if (state is not null)
        {
            query = query.Where(i => i.State == state);
        }

        var images = await query.OrderBy(i => i.Name).ThenByDescending(i => i.Version).ToListAsync(ct);
        var counts = await db.BootVolumes.GroupBy(v => v.DonorImageId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        return TypedResults.Ok(images.Select(i => ImageView.From(i, counts.GetValueOrDefault(i.Id))).ToList());
    }

    private static async Task<Results<Ok<ImageView>, ProblemHttpResult>> GetAsync(long id, IDbContextFactory<ApplianceDbContext> contexts, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var image = await db.DonorImages.AsNoTracking().SingleOrDefaultAsync(i => i.Id == id, ct);
        if (image is null)
        {
            return ApiProblems.From(ErrorCodes.ImageNotFound, ErrorKind.NotFound, $"Image {id} does not exist.");
        }

        var volumes = await db.BootVolumes.CountAsync(v => v.DonorImageId == id, ct);
        return TypedResults.Ok(ImageView.From(image, volumes));
    }

    private static async Task<Results<Accepted<ImportStarted>, ProblemHttpResult>> ImportAsync(
        ImportImageBody body, ImageService images, HttpContext http, CancellationToken ct)
    {
        if (ImageService.ValidateName(body.Name) is { } nameProblem)
        {
            return ApiProblems.Invalid(nameProblem);
        }

        if (string.IsNullOrWhiteSpace(body.OperatingSystem) || body.BootMode is null || string.IsNullOrWhiteSpace(body.Path))
        {
            return ApiProblems.Invalid("name, operatingSystem, bootMode (Bios, Uefi, Both) and path are required.");
        }

        var (image, job) = await images.ImportAsync(
            new ImportImageRequest(body.Name!, body.OperatingSystem, body.BootMode.Value, body.Path) { Notes = body.Notes, CreatedBy = Actor.Of(http) },
            ct);
        return TypedResults.Accepted($"/api/jobs/{job.Id}", new ImportStarted(ImageView.From(image, 0), JobView.From(job)));
    }

    private static async Task<Results<Accepted<ImportStarted>, ProblemHttpResult>> CaptureAsync(
        long id, CaptureBody body, ImageService images, HttpContext http, CancellationToken ct)
    {
        if (body.BootMode is null)
        {
            return ApiProblems.Invalid("name, operatingSystem and bootMode (Bios, Uefi, Both) are required.");
        }

        var (image, job) = await images.CaptureAsync(
            id, new ImportImageRequest(body.Name ?? string.Empty, body.OperatingSystem ?? string.Empty, body.BootMode.Value, string.Empty) { Notes = body.Notes, CreatedBy = Actor.Of(http) }, ct);
        return TypedResults.Accepted($"/api/jobs/{job.Id}", new ImportStarted(ImageView.From(image, 0), JobView.From(job)));
    }

    private static async Task<Results<Ok<ImageView>, ProblemHttpResult>> ChangeAsync(long id, DonorImageState to, ImageService images, HttpContext http, CancellationToken ct)
    {
        var image = await images.ChangeStateAsync(id, to, Actor.Of(http), ct);
        return TypedResults.Ok(ImageView.From(image, 0));
    }

    private static async Task<Results<Ok<ImageView>, ProblemHttpResult>> PatchAsync(
        long id, ImagePolicyBody body, ImageService images, CloudInitSettings cloudInit, IDbContextFactory<ApplianceDbContext> contexts, HttpContext http, CancellationToken ct)
    {
        if (body.OsPersonalization is null && body.DiskIdentifiers is null && body.CloudInit is null)
        {
            return ApiProblems.Invalid("Give osPersonalization (Identity, Off), diskIdentifiers (Auto, Keep, Regenerate) and/or cloudInit {mode, sshAuthorizedKeys, userData}.");
        }

        var image = body.CloudInit is { } c
            ? await cloudInit.UpdateImageAsync(id, new CloudInitChange(c.Mode, c.SshAuthorizedKeys, c.UserData), Actor.Of(http), ct)
            : null;
        if (body.OsPersonalization is not null || body.DiskIdentifiers is not null)
        {
            image = await images.UpdatePolicyAsync(id, body.OsPersonalization, body.DiskIdentifiers, Actor.Of(http), ct);
        }
        await using var db = await contexts.CreateDbContextAsync(ct);
        return TypedResults.Ok(ImageView.From(image!, await db.BootVolumes.CountAsync(v => v.DonorImageId == id, ct)));
    }

    private static async Task<NoContent> DeleteAsync(long id, ImageService images, HttpContext http, CancellationToken ct)
    {
        await images.DeleteAsync(id, Actor.Of(http), ct);
        return TypedResults.NoContent();
    }
}

internal sealed record ImportStarted(ImageView Image, JobView Job);

internal sealed record ImagePolicyBody(OsPersonalization? OsPersonalization, DiskIdentifierPolicy? DiskIdentifiers, CloudInitBody? CloudInit);

/// <summary>cloud-init settings: null fields are left as they are; an empty userData removes it, an empty key list removes the keys.</summary>
internal sealed record CloudInitBody(CloudInitPolicy? Mode, IReadOnlyList<string>? SshAuthorizedKeys, string? UserData);

internal sealed record CaptureBody(string? Name, string? OperatingSystem, BootMode? BootMode, string? Notes);
