using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Lifecycle;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Naming;
using BladeProvisioner.Core.Security;
using BladeProvisioner.Data;
using BladeProvisioner.Jobs;
using BladeProvisioner.Storage.Capacity;
using BladeProvisioner.Storage.Partitioning;
using BladeProvisioner.Storage.Volumes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Provisioning;

/// <summary>
/// Starts provisioning and decommissioning. Each records its intent in one transaction — the volume row with its
/// names and CHAP, the job row, the blade's new state and its timeline event — before any storage is touched. A clone
/// is admitted only when the volumes' filesystem keeps its reserve after the donor's data is written
/// (<see cref="StorageCapacity"/>); otherwise nothing is recorded and the caller gets 507.
/// </summary>
public sealed class ProvisioningService(
    IDbContextFactory<ApplianceDbContext> contexts,
    JobService jobs,
    IqnFactory iqns,
    ISecretProtector secrets,
    VolumePaths paths,
    VolumePartitioner partitioner,
    IOptions<VolumeOptions> volumeOptions,
    StorageCapacity capacity,
    TimeProvider time)
{
    /// <summary>Blade states from which a new image may be chosen.</summary>
    public static bool CanProvision(BladeState state) => state is BladeState.Discovered or BladeState.Failed;

    public async Task<(BootVolume Volume, Job Job)> ProvisionAsync(long bladeId, long imageId, long? sizeBytes, string actor, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var blade = await db.Blades.FromSql($"SELECT *, xmin FROM blades WHERE id = {bladeId} FOR UPDATE").SingleOrDefaultAsync(ct)
            ?? throw DomainException.NotFound(ErrorCodes.BladeNotFound, $"Blade {bladeId} does not exist.");
        if (!CanProvision(blade.State))
        {
            throw DomainException.Conflict(ErrorCodes.IllegalTransition, $"Blade {blade.Hostname ?? blade.BootMac} is {blade.State}; decommission it before choosing another image.");
        }

        var image = await db.DonorImages.SingleOrDefaultAsync(i => i.Id == imageId, ct)
            ?? throw DomainException.NotFound(ErrorCodes.ImageNotFound, $"Image {imageId} does not exist.");
        DonorImageLifecycle.EnsureCloneable(image);
        if (!image.Supports(blade.Platform))
        {
            throw DomainException.Conflict(ErrorCodes.ImagePlatformMismatch, $"{image.DisplayName} boots {image.BootMode}; this blade boots {blade.Platform}.");
        }

        // Leftovers of a failed attempt were cleaned up by its job; the row itself goes now.
        var stale = await db.BootVolumes.Where(v => v.BladeId == bladeId).ToListAsync(ct);
        if (stale.Any(v => v.State != BootVolumeState.Failed))
        {
            throw DomainException.Conflict(ErrorCodes.VolumeExists, $"Blade {bladeId} still has a boot volume; decommission it first.");
        }

        db.BootVolumes.RemoveRange(stale);

        var plan = await partitioner.PlanAsync(image.Path!, ct);
        var minimum = Math.Max(image.VirtualSize, plan.MinimumVolumeSize);
        var roundTo = (long)volumeOptions.Value.RoundUpMiB << 20;
        var size = sizeBytes ?? ((minimum + roundTo - 1) / roundTo * roundTo);
        if (size < minimum)
        {
            throw DomainException.Invalid(ErrorCodes.VolumeTooSmall, $"{image.DisplayName} needs a volume of at least {minimum} bytes; {size} was asked for.");
        }

        // Charged at the donor's data size even when the clone will be a reflink: the blade rewrites what it boots from.
        await capacity.EnsureRoomAsync(db, [new SpaceClaim(FilesystemRole.Volumes, image.AllocatedSize)], $"a clone of {image.DisplayName} for blade {bladeId}", ct);

        blade.InitiatorIqn ??= iqns.Initiator(MacAddress.Parse(blade.BootMac));
        // Mutual CHAP: the blade's own setting, else the appliance's default (on). Each volume gets its own target
        // account and secret, never the initiator's (iPXE and RFC 3720 §8.2.1 refuse the same secret both ways).
        var mutual = blade.MutualChap ?? volumeOptions.Value.MutualChap;
        var initiatorSecret = ChapSecret.Generate();
        var targetSecret = ChapSecret.Generate();
        while (targetSecret == initiatorSecret)
        {
            targetSecret = ChapSecret.Generate();
        }

        var now = time.GetUtcNow();
        var volume = new BootVolume
        {
            BladeId = blade.Id,
            DonorImageId = image.Id,
            BackingPath = paths.NewPathFor(blade.Id),
            SizeBytes = size,
            TargetIqn = iqns.Target(blade.Id),
            Lun = 1,
            ScsiSerial = ScsiIdentity.NewSerial(blade.Id),
            Wwn = ScsiIdentity.NewWwn(),
            ChapUser = ChapSecret.UserFor(blade.Id),
            ChapSecretProtected = secrets.Protect(initiatorSecret),
            MutualChapUser = mutual ? ChapSecret.UserFor(blade.Id, mutual: true) : null,
            MutualChapSecretProtected = mutual ? secrets.Protect(targetSecret) : null,
            State = BootVolumeState.Pending,
            CreatedAt = now,
        };
        db.BootVolumes.Add(volume);
        await db.SaveChangesAsync(ct);

        var job = jobs.NewRow(new JobRequest(ProvisioningJobs.Provision, new ProvisionParameters(blade.Id, volume.Id, image.Id))
        {
            BladeId = blade.Id,
            DonorImageId = image.Id,
            BootVolumeId = volume.Id,
            CreatedBy = actor,
        });
        job.ProgressTotal = image.VirtualSize;
        db.Jobs.Add(job);
        await db.SaveChangesAsync(ct);
        volume.JobId = job.Id;
        db.Events.Add(BladeStateMachine.Transition(blade, BladeState.Provisioning, actor, $"{image.DisplayName} chosen, {size} byte volume", now));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);

        await jobs.ScheduleAsync(job.Id, ct);
        return (volume, job);
    }

    /// <summary>
    /// Takes the blade's target, volume and lease away and returns it to Discovered, as a durable job whose steps are
    /// idempotent: a crash in the middle resumes where it stopped.
    /// </summary>
    public async Task<Job> DecommissionAsync(long bladeId, string actor, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var blade = await db.Blades.FromSql($"SELECT *, xmin FROM blades WHERE id = {bladeId} FOR UPDATE").SingleOrDefaultAsync(ct)
            ?? throw DomainException.NotFound(ErrorCodes.BladeNotFound, $"Blade {bladeId} does not exist.");
        var now = time.GetUtcNow();
        if (blade.State == BladeState.Decommissioning)
        {
            // Asked again: the decommission under way is the answer; one that is no longer running (stopped by a crash
            // before it could report, or cancelled) is started again, so a blade never stays Decommissioning for good.
            var running = await db.Jobs
                .Where(j => j.BladeId == bladeId && j.Kind == ProvisioningJobs.Decommission && (j.State == JobState.Queued || j.State == JobState.Running))
                .OrderByDescending(j => j.Id)
                .FirstOrDefaultAsync(ct);
            if (running is not null)
            {
                return running;
            }

            db.Events.Add(new Event { At = now, Actor = actor, Kind = "blade.decommission-restarted", Summary = "decommission requested again", BladeId = bladeId });
        }
        else
        {
            db.Events.Add(BladeStateMachine.Transition(blade, BladeState.Decommissioning, actor, "decommission requested", now));
        }

        // A clone still running is cancelled; the decommission job waits for it to stop.
        await db.Jobs
            .Where(j => j.BladeId == bladeId && j.Kind == ProvisioningJobs.Provision && (j.State == JobState.Queued || j.State == JobState.Running))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.CancelRequested, true).SetProperty(j => j.UpdatedAt, now), ct);

        var job = jobs.NewRow(new JobRequest(ProvisioningJobs.Decommission, new DecommissionParameters(bladeId)) { BladeId = bladeId, CreatedBy = actor });
        job.ProgressTotal = 4;
        db.Jobs.Add(job);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await jobs.ScheduleAsync(job.Id, ct);
        return job;
    }
}
