using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Leases;
using BladeProvisioner.Core.Lifecycle;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Data;
using BladeProvisioner.Jobs;
using BladeProvisioner.Storage.Targets;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Provisioning;

/// <summary>
/// Removes what provisioning made, safest first: the target (no initiator can log in any more), then the volume file,
/// then the volume row, then the blade's leases; the blade returns to Discovered with no image assigned, so its next
/// boot shows the menu. Every step is idempotent, so an interrupted decommission finishes when the job resumes.
/// </summary>
internal sealed class DecommissionBladeJob(
    IDbContextFactory<ApplianceDbContext> contexts, ITargetDriver targets, TargetChangeLock targetChanges, ILeaseDirectory leases, TimeProvider time)
    : IJobHandler
{
    private static readonly TimeSpan CloneStopTimeout = TimeSpan.FromMinutes(5);

    public string Kind => ProvisioningJobs.Decommission;

    public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var p = context.Parameters<DecommissionParameters>();
        await WaitForCloneToStopAsync(p.BladeId, cancellationToken);
        await context.ReportAsync(1, 4, cancellationToken: cancellationToken);

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var blade = await db.Blades.SingleAsync(b => b.Id == p.BladeId, cancellationToken);
        foreach (var volume in await db.BootVolumes.Where(v => v.BladeId == p.BladeId).ToListAsync(cancellationToken))
        {
            // Deleting and the removal under the node's target lock: a reconcile pass cannot put the target back.
            await context.EnsureOwnedAsync(cancellationToken);
            using (await targetChanges.AcquireAsync(cancellationToken))
            {
                volume.State = BootVolumeState.Deleting;
                await db.SaveChangesAsync(cancellationToken);
                await targets.RemoveTargetAsync(volume.TargetIqn, cancellationToken);
            }

            File.Delete(volume.BackingPath);
            db.BootVolumes.Remove(volume);
            await db.SaveChangesAsync(cancellationToken);
            context.Timeline.Record(new TimelineRecord("storage", "volume.deleted", $"Target {volume.TargetIqn} removed and volume file deleted")
            {
                BladeId = blade.Id,
                BootVolumeId = volume.Id,
                JobId = context.JobId,
            });
        }

        await context.ReportAsync(2, 4, cancellationToken: cancellationToken);
        var now = time.GetUtcNow();
        var released = await leases.ReleaseAllAsync(blade.BootMac, cancellationToken);
        await context.ReportAsync(3, 4, cancellationToken: cancellationToken);

        blade.AssignedImageId = null;
        if (blade.State == BladeState.Decommissioning)
        {
            db.Events.Add(BladeStateMachine.Transition(blade, BladeState.Discovered, "jobs", $"decommissioned; {released} lease(s) released", now));
        }

        await db.SaveChangesAsync(cancellationToken);
        await context.ReportAsync(4, 4, cancellationToken: cancellationToken);
    }

    private async Task WaitForCloneToStopAsync(long bladeId, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + CloneStopTimeout;
        while (true)
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            var running = await db.Jobs.AnyAsync(
                j => j.BladeId == bladeId && j.Kind == ProvisioningJobs.Provision && (j.State == JobState.Queued || j.State == JobState.Running), ct);
            if (!running)
            {
                return;
            }

            if (time.GetUtcNow() > deadline)
            {
                throw DomainException.Conflict(ErrorCodes.CloneStillRunning, $"The clone of blade {bladeId} did not stop within {CloneStopTimeout}; retry the decommission.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
        }
    }
}
