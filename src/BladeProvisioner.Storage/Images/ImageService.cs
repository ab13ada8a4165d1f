using System.Text.RegularExpressions;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Lifecycle;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Data;
using BladeProvisioner.Jobs;
using BladeProvisioner.Storage.Capacity;
using BladeProvisioner.Storage.Cloning;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace BladeProvisioner.Storage.Images;

/// <summary>Donor images: import a new version, change state, delete. Every change is an audit event.</summary>
public sealed partial class ImageService(
    IDbContextFactory<ApplianceDbContext> contexts,
    ImageStore store,
    ImageProbe probe,
    JobService jobs,
    ITimeline timeline,
    StorageCapacity capacity,
    TimeProvider time)
{
    public const string ImportJobKind = "image.import";

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex NamePattern();

    public static string? ValidateName(string? name) =>
        name is not null && NamePattern().IsMatch(name)
            ? null
            : "Image names are 1-63 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit.";

    /// <summary>Registers the next version of <see cref="ImportImageRequest.Name"/> as Importing and starts its import job.</summary>
    public async Task<(DonorImage Image, Job Job)> ImportAsync(ImportImageRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (ValidateName(request.Name) is { } problem)
        {
            throw DomainException.Invalid(ErrorCodes.ValidationFailed, problem);
        }

        if (string.IsNullOrWhiteSpace(request.OperatingSystem))
        {
            throw DomainException.Invalid(ErrorCodes.ValidationFailed, "An operating system description is required.");
        }

        if (!Path.IsPathFullyQualified(request.SourcePath) || !File.Exists(request.SourcePath))
        {
            throw DomainException.Invalid(ErrorCodes.ImageSourceMissing, $"No file at '{request.SourcePath}'.");
        }

        if (!store.IsImportable(request.SourcePath))
        {
            throw DomainException.Invalid(
                ErrorCodes.ImageSourceMissing,
                $"'{request.SourcePath}' is outside the import directories ({string.Join(", ", store.ImportRoots)}).");
        }

        var info = await probe.ProbeAsync(request.SourcePath, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        await capacity.EnsureRoomAsync(db, [new SpaceClaim(FilesystemRole.Images, ImportCost(request.SourcePath, info.Format))], $"the import of {request.Name}", cancellationToken);

        var image = await AddNextVersionAsync(db, request, info.Format, info.VirtualSize, request.Notes, cancellationToken);

        var job = jobs.NewRow(new JobRequest(
            ImportJobKind,
            new ImportJobParameters(image.Id, request.SourcePath, info.Format, image.Path!, request.DeleteSourceAfterImport))
        {
            DonorImageId = image.Id,
            CreatedBy = request.CreatedBy,
        });
        await CommitAndScheduleAsync(db, tx, job, info.VirtualSize, cancellationToken);
        timeline.Record(new TimelineRecord(request.CreatedBy ?? "system", "image.import-started", $"Import of {image.DisplayName} ({info.Format}, {info.VirtualSize} bytes) started")
        {
            DonorImageId = image.Id,
            JobId = job.Id,
        });
        return (image, job);
    }

    /// <summary>
    /// Capture: the blade's boot volume becomes the next version of <paramref name="request"/>'s image name, through the
    /// same durable job as an import (copy with checkpoints, SHA-256, preflight, then Active). Capture a blade that is
    /// powered off, or the copy is only as consistent as a power cut.
    /// </summary>
    public async Task<(DonorImage Image, Job Job)> CaptureAsync(long bladeId, ImportImageRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (ValidateName(request.Name) is { } problem)
        {
            throw DomainException.Invalid(ErrorCodes.ValidationFailed, problem);
        }

        if (string.IsNullOrWhiteSpace(request.OperatingSystem))
        {
            throw DomainException.Invalid(ErrorCodes.ValidationFailed, "An operating system description is required.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Blades.AnyAsync(b => b.Id == bladeId, cancellationToken))
        {
            throw DomainException.NotFound(ErrorCodes.BladeNotFound, $"Blade {bladeId} does not exist.");
        }

        var volume = await db.BootVolumes.AsNoTracking()
            .Where(v => v.BladeId == bladeId && (v.State == BootVolumeState.Exported || v.State == BootVolumeState.Ready))
            .SingleOrDefaultAsync(cancellationToken)
            ?? throw DomainException.Conflict(ErrorCodes.VolumeNotFound, $"Blade {bladeId} has no ready boot volume to capture.");
        if (!File.Exists(volume.BackingPath))
        {
            throw DomainException.Conflict(ErrorCodes.VolumeNotFound, $"The volume file of blade {bladeId} is missing.");
        }

        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        await capacity.EnsureRoomAsync(
            db, [new SpaceClaim(FilesystemRole.Images, LinuxFile.AllocatedBytes(volume.BackingPath))], $"the capture of blade {bladeId} as {request.Name}", cancellationToken);
        var image = await AddNextVersionAsync(
            db, request, ImageFormat.Raw, volume.SizeBytes, request.Notes ?? $"Captured from blade {bladeId} ({volume.TargetIqn})", cancellationToken);
        var job = jobs.NewRow(new JobRequest(ImportJobKind, new ImportJobParameters(image.Id, volume.BackingPath, ImageFormat.Raw, image.Path!, DeleteSourceAfterImport: false))
        {
            DonorImageId = image.Id,
            BladeId = bladeId,
            BootVolumeId = volume.Id,
            CreatedBy = request.CreatedBy,
        });
        await CommitAndScheduleAsync(db, tx, job, volume.SizeBytes, cancellationToken);
        timeline.Record(new TimelineRecord(request.CreatedBy ?? "system", "image.capture-started", $"Capture of blade {bladeId}'s volume as {image.DisplayName} started")
        {
            BladeId = bladeId,
            DonorImageId = image.Id,
            JobId = job.Id,
            BootVolumeId = volume.Id,
        });
        return (image, job);
    }

    /// <summary>
    /// What an import will write into the store: a raw source's data extents (the copy stays sparse); for a qcow2, vmdk,
    /// vhd or vhdx, the source file's size (what it holds uncompressed; a compressed one expands, which the reserve absorbs).
    /// </summary>
    internal static long ImportCost(string sourcePath, ImageFormat format) =>
        format == ImageFormat.Raw ? LinuxFile.AllocatedBytes(sourcePath) : new FileInfo(sourcePath).Length;

    /// <summary>The intent (the new version and its import job row) is committed first; only then is the job scheduled.</summary>
    private async Task CommitAndScheduleAsync(ApplianceDbContext db, IDbContextTransaction tx, Job job, long bytes, CancellationToken ct)
    {
        job.ProgressTotal = bytes;
        db.Jobs.Add(job);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await jobs.ScheduleAsync(job.Id, ct);
    }

    /// <summary>
    /// Adds the next version of the request's image name as Importing, inside the caller's transaction. Versions of one
    /// name are serialised by a transaction-scoped advisory lock on the name.
    /// </summary>
    private async Task<DonorImage> AddNextVersionAsync(
        ApplianceDbContext db, ImportImageRequest request, ImageFormat format, long virtualSize, string? notes, CancellationToken ct)
    {
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtext({"image:" + request.Name}))", ct);
        var version = (await db.DonorImages.Where(i => i.Name == request.Name).MaxAsync(i => (int?)i.Version, ct) ?? 0) + 1;
        var image = new DonorImage
        {
            Name = request.Name,
            Version = version,
            OperatingSystem = request.OperatingSystem.Trim(),
            BootMode = request.BootMode,
            SourceFormat = format,
            State = DonorImageState.Importing,
            Path = store.PathFor(request.Name, version),
            VirtualSize = virtualSize,
            Notes = notes,
            CreatedBy = request.CreatedBy,
            CreatedAt = time.GetUtcNow(),
        };
        db.DonorImages.Add(image);
        await db.SaveChangesAsync(ct);
        return image;
    }

    /// <summary>Active ⇄ Paused → Retired.</summary>
    public async Task<DonorImage> ChangeStateAsync(long imageId, DonorImageState to, string actor, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var image = await db.DonorImages.SingleOrDefaultAsync(i => i.Id == imageId, cancellationToken)
            ?? throw DomainException.NotFound(ErrorCodes.ImageNotFound, $"Image {imageId} does not exist.");
        var from = image.State;
        DonorImageLifecycle.Transition(image, to);
        await db.SaveChangesAsync(cancellationToken);
        timeline.Record(new TimelineRecord(actor, "image.state", $"{image.DisplayName}: {from} → {to} by {actor}") { DonorImageId = image.Id });
        return image;
    }

    /// <summary>Changes what later clones of a version get (OS personalisation, disk ids); clones already made keep theirs.</summary>
    public async Task<DonorImage> UpdatePolicyAsync(
        long imageId, OsPersonalization? os, DiskIdentifierPolicy? diskIds, string actor, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var image = await db.DonorImages.SingleOrDefaultAsync(i => i.Id == imageId, cancellationToken)
            ?? throw DomainException.NotFound(ErrorCodes.ImageNotFound, $"Image {imageId} does not exist.");
        image.OsPersonalization = os ?? image.OsPersonalization;
        image.DiskIdentifiers = diskIds ?? image.DiskIdentifiers;
        await db.SaveChangesAsync(cancellationToken);
        timeline.Record(new TimelineRecord(
            actor, "image.policy", $"{image.DisplayName}: OS personalisation {image.OsPersonalization}, disk ids {image.DiskIdentifiers}, by {actor}")
        {
            DonorImageId = image.Id,
        });
        return image;
    }

    /// <summary>Deletes a Retired or Failed image and its file, if no volume uses it.</summary>
    public async Task DeleteAsync(long imageId, string actor, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var image = await db.DonorImages.SingleOrDefaultAsync(i => i.Id == imageId, cancellationToken)
            ?? throw DomainException.NotFound(ErrorCodes.ImageNotFound, $"Image {imageId} does not exist.");
        if (!DonorImageLifecycle.IsDeletable(image.State))
        {
            throw DomainException.Conflict(ErrorCodes.ImageIllegalState, $"Image {image.DisplayName} is {image.State}; retire it before deleting it.");
        }

        var users = await db.BootVolumes.CountAsync(v => v.DonorImageId == imageId, cancellationToken);
        if (users > 0)
        {
            throw DomainException.Conflict(ErrorCodes.ImageInUse, $"Image {image.DisplayName} is the source of {users} boot volume(s).");
        }

        var rules = await db.ZeroTouchRules.CountAsync(r => r.DonorImageId == imageId, cancellationToken);
        if (rules > 0)
        {
            throw DomainException.Conflict(ErrorCodes.ImageInUse, $"Image {image.DisplayName} is named by {rules} zero-touch rule(s); delete or change them first.");
        }

        db.DonorImages.Remove(image);
        await db.SaveChangesAsync(cancellationToken);
        if (image.Path is not null)
        {
            File.Delete(image.Path);
            File.Delete(ImageStore.PartialPathFor(image.Path));
        }

        timeline.Record(new TimelineRecord(actor, "image.deleted", $"{image.DisplayName} deleted by {actor}") { DonorImageId = image.Id });
    }
}
