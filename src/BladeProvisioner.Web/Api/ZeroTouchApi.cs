using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Data;
using BladeProvisioner.Web.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Web.Api;

/// <summary>
/// Zero-touch rules for blades the appliance has not met: by SMBIOS UUID or by chassis slot. (A blade known by its MAC
/// is pre-assigned on its own record: <c>POST /api/blades {bootMac, assignedImageId}</c>.) Reads for everyone signed
/// in; changes for admins.
/// </summary>
internal static class ZeroTouchApi
{
    private const int MaxLocationLength = 64;

    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/zero-touch").WithTags("Zero-touch");
        g.MapGet("/", ListAsync).WithName("ListZeroTouchRules");
        g.MapPost("/", CreateAsync).WithName("CreateZeroTouchRule");
        g.MapDelete("/{id:long}", DeleteAsync).WithName("DeleteZeroTouchRule");
    }

    private static async Task<Ok<List<ZeroTouchRuleView>>> ListAsync(IDbContextFactory<ApplianceDbContext> contexts, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rules = await db.ZeroTouchRules.AsNoTracking().OrderBy(r => r.Chassis).ThenBy(r => r.Slot).ThenBy(r => r.Id).ToListAsync(ct);
        return TypedResults.Ok(rules.Select(ZeroTouchRuleView.From).ToList());
    }

    private static async Task<Results<Created<ZeroTouchRuleView>, ProblemHttpResult>> CreateAsync(
        CreateZeroTouchRuleRequest body, IDbContextFactory<ApplianceDbContext> contexts, ITimeline timeline, TimeProvider time,
        HttpContext http, CancellationToken ct)
    {
        var chassis = string.IsNullOrWhiteSpace(body.Chassis) ? null : body.Chassis.Trim();
        var slot = string.IsNullOrWhiteSpace(body.Slot) ? null : body.Slot.Trim();
        Guid? uuid = null;
        if (body.SmbiosUuid is not null)
        {
            if (!Guid.TryParse(body.SmbiosUuid, out var parsed) || parsed == Guid.Empty || parsed == Guid.AllBitsSet)
            {
                return ApiProblems.Invalid($"'{body.SmbiosUuid}' is not a usable SMBIOS UUID (all-zero and all-one UUIDs are firmware placeholders).");
            }

            uuid = parsed;
        }

        if ((uuid is null) == (chassis is null && slot is null) || (chassis is null) != (slot is null))
        {
            return ApiProblems.Invalid("A zero-touch rule names either smbiosUuid, or chassis and slot together.");
        }

        if (chassis?.Length > MaxLocationLength || slot?.Length > MaxLocationLength)
        {
            return ApiProblems.Invalid($"chassis and slot are at most {MaxLocationLength} characters.");
        }

        if (body.ImageId is not { } imageId)
        {
            return ApiProblems.Invalid("imageId is required.");
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        var image = await db.DonorImages.AsNoTracking().SingleOrDefaultAsync(i => i.Id == imageId, ct);
        if (image is null)
        {
            return ApiProblems.From(ErrorCodes.ImageNotFound, ErrorKind.Invalid, $"Image {imageId} does not exist.");
        }

        if (image.State is DonorImageState.Retired or DonorImageState.Failed)
        {
            return ApiProblems.From(ErrorCodes.ImageNotActive, ErrorKind.Conflict, $"Image {image.DisplayName} is {image.State}: no blade can be provisioned from it.");
        }

        var taken = await db.ZeroTouchRules.AsNoTracking()
            .FirstOrDefaultAsync(r => uuid != null ? r.SmbiosUuid == uuid : r.Chassis == chassis && r.Slot == slot, ct);
        if (taken is not null)
        {
            return ApiProblems.From(ErrorCodes.ZeroTouchRuleExists, ErrorKind.Conflict, $"Rule {taken.Id} already covers {taken.Describe()}; delete it first.");
        }

        var rule = new ZeroTouchRule
        {
            SmbiosUuid = uuid,
            Chassis = chassis,
            Slot = slot,
            DonorImageId = imageId,
            CreatedBy = Actor.Of(http),
            CreatedAt = time.GetUtcNow(),
        };
        db.ZeroTouchRules.Add(rule);
        await db.SaveChangesAsync(ct);
        timeline.Record(new TimelineRecord(Actor.Of(http), "zerotouch.created", $"Zero-touch rule {rule.Id}: {rule.Describe()} gets {image.DisplayName} (by {Actor.Of(http)})")
        {
            DonorImageId = imageId,
        });
        return TypedResults.Created($"/api/zero-touch/{rule.Id}", ZeroTouchRuleView.From(rule));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        long id, IDbContextFactory<ApplianceDbContext> contexts, ITimeline timeline, HttpContext http, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rule = await db.ZeroTouchRules.SingleOrDefaultAsync(r => r.Id == id, ct);
        if (rule is null)
        {
            return ApiProblems.From(ErrorCodes.ZeroTouchRuleNotFound, ErrorKind.NotFound, $"Zero-touch rule {id} does not exist.");
        }

        db.ZeroTouchRules.Remove(rule);
        await db.SaveChangesAsync(ct);
        timeline.Record(new TimelineRecord(Actor.Of(http), "zerotouch.deleted", $"Zero-touch rule {rule.Id} ({rule.Describe()}) deleted by {Actor.Of(http)}")
        {
            DonorImageId = rule.DonorImageId,
        });
        return TypedResults.NoContent();
    }
}

/// <summary>A new zero-touch rule: <c>smbiosUuid</c>, or <c>chassis</c> and <c>slot</c>; and the image.</summary>
internal sealed record CreateZeroTouchRuleRequest(string? SmbiosUuid, string? Chassis, string? Slot, long? ImageId);

internal sealed record ZeroTouchRuleView(long Id, Guid? SmbiosUuid, string? Chassis, string? Slot, long ImageId, string CreatedBy, DateTimeOffset CreatedAt, long? BladeId)
{
    public static ZeroTouchRuleView From(ZeroTouchRule r) => new(r.Id, r.SmbiosUuid, r.Chassis, r.Slot, r.DonorImageId, r.CreatedBy, r.CreatedAt, r.BladeId);
}
