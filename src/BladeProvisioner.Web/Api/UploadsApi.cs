using System.Globalization;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Storage.Capacity;
using BladeProvisioner.Storage.Images;
using BladeProvisioner.Web.Errors;
using BladeProvisioner.Web.Uploads;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BladeProvisioner.Web.Api;

/// <summary>
/// Resumable donor-image uploads, offsets in the manner of tus: <c>POST /api/uploads</c> declares the image and the
/// length; <c>PATCH /api/uploads/{id}</c> with <c>Upload-Offset</c> appends the raw body; <c>HEAD</c> reports the
/// offset to resume from; <c>POST /api/uploads/{id}/complete</c> verifies the length and starts the import. An upload
/// is admitted only if its declared length fits above the reserves of the uploads' and the images' filesystems, and
/// each append only if the rest still does (507 <c>INSUFFICIENT_STORAGE</c>; the upload stays resumable).
/// </summary>
internal static class UploadsApi
{
    public const string OffsetHeader = "Upload-Offset";
    public const string LengthHeader = "Upload-Length";
    private const string UploadNotFound = ErrorCodes.UploadNotFound;

    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/uploads").WithTags("Uploads");
        g.MapPost("/", CreateAsync).WithName("CreateUpload");
        g.MapMethods("/{id}", ["HEAD"], HeadAsync).WithName("UploadOffset").RequireAuthorization(Auth.AuthRoles.AdminPolicy);
        g.MapGet("/{id}", GetAsync).WithName("GetUpload").RequireAuthorization(Auth.AuthRoles.AdminPolicy);
        g.MapPatch("/{id}", AppendAsync).WithName("AppendUpload");
        g.MapPost("/{id}/complete", CompleteAsync).WithName("CompleteUpload");
        g.MapDelete("/{id}", DeleteAsync).WithName("DeleteUpload");
    }

    private static async Task<Results<Created<UploadView>, ProblemHttpResult>> CreateAsync(
        CreateUploadBody body, UploadStore uploads, StorageCapacity capacity, HttpContext http, CancellationToken ct)
    {
        if (ImageService.ValidateName(body.Name) is { } nameProblem)
        {
            return ApiProblems.Invalid(nameProblem);
        }

        if (string.IsNullOrWhiteSpace(body.OperatingSystem) || body.BootMode is null || body.Length is not > 0)
        {
            return ApiProblems.Invalid("name, operatingSystem, bootMode (Bios, Uefi, Both) and a positive length are required.");
        }

        // The upload lands in the uploads' directory, then its import writes as much again into the store.
        await capacity.EnsureRoomAsync(
            [new SpaceClaim(FilesystemRole.Uploads, body.Length.Value), new SpaceClaim(FilesystemRole.Images, body.Length.Value)], $"an upload of {body.Name}", ct);
        var info = await uploads.CreateAsync(
            new UploadInfo("", body.Name!, body.OperatingSystem.Trim(), body.BootMode.Value, body.Notes, body.Length.Value, body.FileName, Actor.Of(http)), ct);
        return TypedResults.Created($"/api/uploads/{info.Id}", new UploadView(info.Id, 0, info.Length));
    }

    private static async Task<IResult> HeadAsync(string id, UploadStore uploads, HttpContext http, CancellationToken ct)
    {
        if (await uploads.FindAsync(id, ct) is not { } info)
        {
            return Results.NotFound();
        }

        http.Response.Headers[OffsetHeader] = (await uploads.OffsetAsync(id, ct)).ToString(CultureInfo.InvariantCulture);
        http.Response.Headers[LengthHeader] = info.Length.ToString(CultureInfo.InvariantCulture);
        http.Response.Headers.CacheControl = "no-store";
        return Results.Ok();
    }

    private static async Task<Results<Ok<UploadView>, ProblemHttpResult>> GetAsync(string id, UploadStore uploads, CancellationToken ct) =>
        await uploads.FindAsync(id, ct) is { } info
            ? TypedResults.Ok(new UploadView(id, await uploads.OffsetAsync(id, ct), info.Length))
            : NotFound(id);

    private static async Task<Results<NoContent, ProblemHttpResult>> AppendAsync(
        string id, UploadStore uploads, StorageCapacity capacity, HttpContext http, CancellationToken ct)
    {
        if (await uploads.FindAsync(id, ct) is not { } info)
        {
            return NotFound(id);
        }

        if (!long.TryParse(http.Request.Headers[OffsetHeader], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            return ApiProblems.Invalid($"The {OffsetHeader} header (bytes already sent) is required.");
        }

        if (offset < info.Length)
        {
            await capacity.EnsureRoomAsync([new SpaceClaim(FilesystemRole.Uploads, info.Length - offset)], $"the rest of upload {id}", ct);
        }

        // This endpoint alone takes bodies of any size: they are streamed to disk, never buffered.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }

        var result = await uploads.AppendAsync(info, offset, http.Request.Body, ct);
        http.Response.Headers[OffsetHeader] = result.Offset.ToString(CultureInfo.InvariantCulture);
        if (result.TooLong)
        {
            return ApiProblems.From(ErrorCodes.UploadTooLong, Core.Errors.ErrorKind.Invalid, $"The upload was declared as {info.Length} bytes.");
        }

        return result.Accepted
            ? TypedResults.NoContent()
            : ApiProblems.From(ErrorCodes.UploadOffsetMismatch, Core.Errors.ErrorKind.Conflict, $"The upload is at offset {result.Offset}; resume from there.");
    }

    private static async Task<Results<Accepted<UploadFinished>, ProblemHttpResult>> CompleteAsync(
        string id, UploadStore uploads, ImageService images, HttpContext http, CancellationToken ct)
    {
        if (await uploads.FindAsync(id, ct) is not { } info)
        {
            return NotFound(id);
        }

        var offset = await uploads.OffsetAsync(id, ct);
        if (offset != info.Length)
        {
            return ApiProblems.From(ErrorCodes.UploadIncomplete, Core.Errors.ErrorKind.Conflict, $"{offset} of {info.Length} bytes received; resume from {offset}.");
        }

        var sha256 = await uploads.FinishHashAsync(id, ct);
        var path = uploads.Seal(id);
        var notes = info.FileName is null ? info.Notes : $"{info.Notes}{(string.IsNullOrEmpty(info.Notes) ? "" : "\n")}Uploaded from {info.FileName}".Trim();
        var (image, job) = await images.ImportAsync(
            new ImportImageRequest(info.Name, info.OperatingSystem, info.BootMode, path) { Notes = notes, CreatedBy = Actor.Of(http), DeleteSourceAfterImport = true },
            ct);
        return TypedResults.Accepted($"/api/jobs/{job.Id}", new UploadFinished(ImageView.From(image, 0), JobView.From(job), sha256));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, UploadStore uploads, CancellationToken ct)
    {
        if (await uploads.FindAsync(id, ct) is null)
        {
            return NotFound(id);
        }

        uploads.Delete(id);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult NotFound(string id) => ApiProblems.From(UploadNotFound, Core.Errors.ErrorKind.NotFound, $"Upload {id} does not exist.");
}

internal sealed record CreateUploadBody(string? Name, string? OperatingSystem, BootMode? BootMode, string? Notes, long? Length, string? FileName);

internal sealed record UploadView(string Id, long Offset, long Length);

internal sealed record UploadFinished(ImageView Image, JobView Job, string UploadSha256);
