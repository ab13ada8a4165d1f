using System.Text.RegularExpressions;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Naming;
using BladeProvisioner.Core.Security;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Data;
using BladeProvisioner.Storage.CloudInit;
using BladeProvisioner.Web.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Web.Api;

internal static partial class BladesApi
{
    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex HostnamePattern();

    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/blades").WithTags("Blades");
        g.MapGet("/", ListAsync).WithName("ListBlades");
        g.MapGet("/{id:long}", GetAsync).WithName("GetBlade");
        g.MapPost("/", CreateAsync).WithName("CreateBlade");
        g.MapPatch("/{id:long}", UpdateAsync).WithName("UpdateBlade");
        g.MapDelete("/{id:long}", DeleteAsync).WithName("DeleteBlade");
    }

    /// <summary>
    /// One page, in location order: <c>limit</c> (default <see cref="BladeQueries.DefaultPageSize"/>, at most
    /// <see cref="BladeQueries.MaxPageSize"/>) from <c>offset</c>; <c>X-Total-Count</c> counts every match and
    /// <c>Link: rel="next"</c> names the next page while there is one.
    /// </summary>
    private static async Task<Results<Ok<List<BladeView>>, ProblemHttpResult>> ListAsync(
        IDbContextFactory<ApplianceDbContext> contexts, BladeState? state, string? q, string? limit, string? offset, HttpContext http, CancellationToken ct)
    {
        if (!Paging.TryParse(limit, "limit", 1, BladeQueries.MaxPageSize, BladeQueries.DefaultPageSize, out var take, out var problem)
            || !Paging.TryParse(offset, "offset", 0, BladeQueries.MaxOffset, 0, out var skip, out problem))
        {
            return problem!;
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        var query = db.Blades.AsNoTracking().Filter(state, q);
        var total = await query.CountAsync(ct);
        var blades = await query.Skip((int)skip).Take((int)take).ToListAsync(ct);
        http.Response.Headers["X-Total-Count"] = total.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (skip + blades.Count < total && blades.Count == take)
        {
            Paging.SetNext(http, new Dictionary<string, string?>
            {
                ["limit"] = take.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["offset"] = (skip + take).ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        }

        var boots = await BladeBoots.LatestAsync(db, [.. blades.Select(b => b.Id)], ct);
        return TypedResults.Ok(blades.Select(b => BladeView.From(b, boots.GetValueOrDefault(b.Id))).ToList());
    }

    private static async Task<Results<Ok<BladeView>, ProblemHttpResult>> GetAsync(long id, IDbContextFactory<ApplianceDbContext> contexts, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var blade = await db.Blades.AsNoTracking().SingleOrDefaultAsync(b => b.Id == id, ct);
        return blade is null ? NotFound(id) : TypedResults.Ok(BladeView.From(blade, await BladeBoots.LatestAsync(db, blade.Id, ct)));
    }

    private static async Task<Results<Created<BladeView>, ProblemHttpResult>> CreateAsync(
        CreateBladeRequest body, IDbContextFactory<ApplianceDbContext> contexts, IqnFactory iqns, ITimeline timeline, TimeProvider time,
        HttpContext http, CancellationToken ct)
    {
        if (!MacAddressText.TryNormalize(body.BootMac, out var mac))
        {
            return ApiProblems.Invalid($"'{body.BootMac}' is not a MAC address (expected e.g. 52:54:00:12:34:56).", ErrorCodes.InvalidMac);
        }

        if (body.Hostname is not null && !HostnamePattern().IsMatch(body.Hostname))
        {
            return ApiProblems.Invalid("A host name is 1-63 characters of a-z, 0-9 and '-', not starting or ending with '-'.");
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        if (await db.Blades.AnyAsync(b => b.BootMac == mac, ct))
        {
            return ApiProblems.From(ErrorCodes.DuplicateMac, ErrorKind.Conflict, $"A blade with boot MAC {mac} already exists.");
        }

        if (body.AssignedImageId is { } imageId && !await db.DonorImages.AnyAsync(i => i.Id == imageId, ct))
        {
            return ApiProblems.From(ErrorCodes.ImageNotFound, ErrorKind.Invalid, $"Image {imageId} does not exist.");
        }

        var now = time.GetUtcNow();
        var blade = new Blade
        {
            BootMac = mac,
            Hostname = body.Hostname,
            Chassis = body.Chassis,
            Slot = body.Slot,
            LocationSource = body.Chassis is null && body.Slot is null ? null : "api",
            AssignedImageId = body.AssignedImageId,
            InitiatorIqn = iqns.Initiator(mac),
            CreatedAt = now,
            LastSeenAt = now,
            StateChangedAt = now,
            ClaimedAt = now,
        };
        db.Blades.Add(blade);
        await db.SaveChangesAsync(ct);
        if (blade.Hostname is null)
        {
            blade.Hostname = $"blade-{blade.Id}";
            await db.SaveChangesAsync(ct);
        }

        timeline.Record(new TimelineRecord(Actor.Of(http), "blade.created", $"Blade {mac} registered by {Actor.Of(http)}") { BladeId = blade.Id });
        return TypedResults.Created($"/api/blades/{blade.Id}", BladeView.From(blade));
    }

    private static async Task<Results<Ok<BladeView>, ProblemHttpResult>> UpdateAsync(
        long id, UpdateBladeRequest body, IDbContextFactory<ApplianceDbContext> contexts, ISecretProtector secrets, ITimeline timeline,
        CloudInitSettings cloudInit, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        // cloud-init settings are checked before anything changes: a bad key or user-data is a 400 and nothing is stored.
        var cloudInitChange = body.CloudInit is { } c ? new CloudInitChange(null, c.SshAuthorizedKeys, c.UserData) : null;
        if (body.CloudInit?.Mode is not null)
        {
            return ApiProblems.Invalid("cloudInit.mode is the image's (PATCH /api/images/{id}); a blade sets sshAuthorizedKeys and userData.");
        }

        if (cloudInitChange is not null)
        {
            await cloudInit.ValidateAsync(cloudInitChange, ct);
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        var blade = await db.Blades.SingleOrDefaultAsync(b => b.Id == id, ct);
        if (blade is null)
        {
            return NotFound(id);
        }

        var changed = new List<string>();
        if (body.Hostname is not null)
        {
            if (!HostnamePattern().IsMatch(body.Hostname))
            {
                return ApiProblems.Invalid("A host name is 1-63 characters of a-z, 0-9 and '-', not starting or ending with '-'.");
            }

            blade.Hostname = body.Hostname;
            changed.Add("hostname");
        }

        if (body.Chassis is not null || body.Slot is not null)
        {
            blade.Chassis = body.Chassis ?? blade.Chassis;
            blade.Slot = body.Slot ?? blade.Slot;
            blade.LocationSource = "api";
            changed.Add("location");
        }

        if (body.ClearAssignedImage == true)
        {
            blade.AssignedImageId = null;
            changed.Add("assigned image cleared");
        }
        else if (body.AssignedImageId is { } imageId)
        {
            var image = await db.DonorImages.AsNoTracking().SingleOrDefaultAsync(i => i.Id == imageId, ct);
            if (image is null)
            {
                return ApiProblems.From(ErrorCodes.ImageNotFound, ErrorKind.Invalid, $"Image {imageId} does not exist.");
            }

            if (image.State is not (DonorImageState.Active or DonorImageState.Paused))
            {
                return ApiProblems.From(ErrorCodes.ImageNotActive, ErrorKind.Conflict, $"Image {image.DisplayName} is {image.State} and cannot be assigned.");
            }

            if (!image.Supports(blade.Platform))
            {
                return ApiProblems.From(ErrorCodes.ImagePlatformMismatch, ErrorKind.Conflict, $"Image {image.DisplayName} boots {image.BootMode}; blade {blade.Id} is {blade.Platform}.");
            }

            blade.AssignedImageId = imageId;
            changed.Add($"assigned {image.DisplayName}");
        }

        if (body.InitiatorIqn is not null)
        {
            blade.InitiatorIqn = Iqn.Normalize(body.InitiatorIqn);
            changed.Add("initiator IQN");
        }

        if (body.UefiLoader is { } loader)
        {
            blade.UefiLoader = loader;
            changed.Add("UEFI loader");
        }

        if (body.PowerDriver is { } driver)
        {
            blade.PowerDriver = driver;
            changed.Add("power driver");
        }

        if (body.BmcAddress is not null)
        {
            blade.BmcAddress = body.BmcAddress.Trim();
            changed.Add("BMC address");
        }

        if (body.BmcUsername is not null)
        {
            blade.BmcUsername = body.BmcUsername;
            changed.Add("BMC user");
        }

        if (body.BmcPassword is not null)
        {
            blade.BmcSecretProtected = body.BmcPassword.Length == 0 ? null : secrets.Protect(body.BmcPassword);
            changed.Add("BMC password");
        }

        if (body.FollowDefaultMutualChap == true)
        {
            blade.MutualChap = null;
            changed.Add("mutual CHAP: appliance default");
        }
        else if (body.MutualChap is { } mutual)
        {
            blade.MutualChap = mutual;
            changed.Add(mutual ? "mutual CHAP on" : "mutual CHAP off");
        }

        if (cloudInitChange is not null)
        {
            cloudInit.Apply(blade, cloudInitChange);
            changed.Add($"cloud-init ({CloudInitSettings.Describe(blade)})");
        }

        blade.ClaimedAt ??= time.GetUtcNow();
        await db.SaveChangesAsync(ct);
        if (changed.Count > 0)
        {
            timeline.Record(new TimelineRecord(Actor.Of(http), "blade.updated", $"{string.Join(", ", changed)} changed by {Actor.Of(http)}") { BladeId = blade.Id });
        }

        return TypedResults.Ok(BladeView.From(blade, await BladeBoots.LatestAsync(db, blade.Id, ct)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        long id, IDbContextFactory<ApplianceDbContext> contexts, ITimeline timeline, HttpContext http, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var blade = await db.Blades.SingleOrDefaultAsync(b => b.Id == id, ct);
        if (blade is null)
        {
            return NotFound(id);
        }

        if (blade.State != BladeState.Discovered || await db.BootVolumes.AnyAsync(v => v.BladeId == id, ct))
        {
            return ApiProblems.From(ErrorCodes.IllegalTransition, ErrorKind.Conflict, $"Blade {id} is {blade.State}; decommission it before removing it.");
        }

        db.Blades.Remove(blade);
        await db.SaveChangesAsync(ct);
        timeline.Record(new TimelineRecord(Actor.Of(http), "blade.deleted", $"Blade {blade.BootMac} removed by {Actor.Of(http)}"));
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult NotFound(long id) => ApiProblems.From(ErrorCodes.BladeNotFound, ErrorKind.NotFound, $"Blade {id} does not exist.");
}
