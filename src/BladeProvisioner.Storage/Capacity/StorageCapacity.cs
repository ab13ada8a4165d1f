using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Data;
using BladeProvisioner.Data.Postgres;
using BladeProvisioner.Storage.Cloning;
using BladeProvisioner.Storage.Images;
using BladeProvisioner.Storage.Volumes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Storage.Capacity;

/// <summary>
/// Admission control for space. Before a clone, import, capture or upload records anything, it asks
/// <c>EnsureRoomAsync</c>: the work's bytes must fit on each filesystem it writes to above that filesystem's
/// reserve, after what clones and imports in progress will still write. Refused work throws 507
/// <c>INSUFFICIENT_STORAGE</c> naming the filesystem and its figures. Running blades are never refused anything: the
/// reserve is theirs (and the database's) to write into.
/// </summary>
public sealed partial class StorageCapacity(
    ImageStore images,
    VolumePaths volumes,
    IOptions<CapacityOptions> options,
    IServiceProvider services,
    IDbContextFactory<ApplianceDbContext> contexts,
    ILogger<StorageCapacity> logger)
{
    /// <summary>Serialises admissions across the nodes of a cluster, so two cannot both take the last free bytes.</summary>
    private const string AdmissionLock = "storage.capacity";

    /// <summary>Each role and the directory it lives in; the database only when its directory is known.</summary>
    public IReadOnlyList<(FilesystemRole Role, string Path)> Locations()
    {
        var database = options.Value.DatabaseDirectory is { Length: > 0 } d
            ? Path.GetFullPath(d)
            : services.GetService<EmbeddedPostgres>()?.DataDirectory;
        List<(FilesystemRole, string)> roles =
        [
            (FilesystemRole.Volumes, volumes.Root),
            (FilesystemRole.Images, images.Root),
            (FilesystemRole.Uploads, images.ImportRoots[0]),
        ];
        if (database is not null)
        {
            roles.Add((FilesystemRole.Database, database));
        }

        return roles;
    }

    /// <summary>Every filesystem the appliance writes to, as statvfs sees it now (no database access).</summary>
    public IReadOnlyList<FilesystemCapacity> Measure(IReadOnlyDictionary<FilesystemRole, long>? committed = null) =>
        CapacityPlan.Group(Locations().Select(l => (l.Role, l.Path, FilesystemSpace.Measure(l.Path))), options.Value, committed);

    /// <summary>Refuses <paramref name="what"/> with 507 when its claims do not fit, for work that records no row (an upload).</summary>
    public async Task EnsureRoomAsync(IReadOnlyList<SpaceClaim> claims, string what, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await EnsureRoomAsync(db, claims, what, ct);
    }

    /// <summary>
    /// Refuses <paramref name="what"/> with 507 when its claims do not fit. Inside a transaction it first takes a
    /// transaction-scoped advisory lock, so the caller's rows (committed with the transaction) are counted by the next
    /// admission anywhere in the cluster.
    /// </summary>
    public async Task EnsureRoomAsync(ApplianceDbContext db, IReadOnlyList<SpaceClaim> claims, string what, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(claims);
        if (db.Database.CurrentTransaction is not null)
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtext({AdmissionLock}))", ct);
        }

        var filesystems = Measure(await CommittedAsync(db, ct));
        if (CapacityPlan.FirstShortfall(filesystems, claims) is not { } shortfall)
        {
            return;
        }

        var (fs, claimed) = shortfall;
        var roles = string.Join(", ", fs.Roles.Select(r => $"{r.ToString().ToLowerInvariant()} {FilesystemCapacity.Bytes(options.Value.For(r).For(fs.CapacityBytes))}"));
        var message = $"Not enough space for {what}: it needs {FilesystemCapacity.Bytes(claimed)} on {fs.Describe()} (reserves: {roles}); "
            + "nothing was created. Free space on that filesystem or lower the Storage:Capacity reserves.";
        LogRefused(logger, what, fs.RoleNames, claimed, fs.FreeBytes, fs.ReserveBytes, fs.CommittedBytes);
        CapacityMetrics.Refused.Add(1, new KeyValuePair<string, object?>("role", fs.RoleNames));
        throw DomainException.InsufficientStorage(ErrorCodes.InsufficientStorage, message);
    }

    /// <summary>What admitted work will still write: clones in progress (the donor's data less what the volume file already holds) and imports in progress.</summary>
    public async Task<IReadOnlyDictionary<FilesystemRole, long>> CommittedAsync(ApplianceDbContext db, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var clones = await db.BootVolumes.AsNoTracking()
            .Where(v => v.State == BootVolumeState.Pending || v.State == BootVolumeState.Cloning)
            .Join(db.DonorImages, v => v.DonorImageId, i => i.Id, (v, i) => new { v.BackingPath, Donor = i.AllocatedSize })
            .ToListAsync(ct);
        var imports = await db.DonorImages.AsNoTracking()
            .Where(i => i.State == DonorImageState.Importing && i.Path != null)
            .Select(i => new { i.Path, i.VirtualSize })
            .ToListAsync(ct);
        return new Dictionary<FilesystemRole, long>
        {
            [FilesystemRole.Volumes] = clones.Sum(c => Math.Max(0, c.Donor - LinuxFile.AllocatedBytes(c.BackingPath))),
            [FilesystemRole.Images] = imports.Sum(i => Math.Max(0, i.VirtualSize - LinuxFile.AllocatedBytes(ImageStore.PartialPathFor(i.Path!)))),
        };
    }

    [LoggerMessage(EventId = StorageEventIds.CapacityRefused, Level = LogLevel.Warning, Message = "Refused {What}: {Claimed} bytes on {Roles} with {Free} free, {Reserve} reserved, {Committed} committed")]
    private static partial void LogRefused(ILogger logger, string what, string roles, long claimed, long free, long reserve, long committed);
}
