using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Leases;
using BladeProvisioner.Core.Lifecycle;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Data;
using BladeProvisioner.Jobs;
using BladeProvisioner.Power;
using BladeProvisioner.Storage.Targets;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Provisioning;

/// <summary>
/// Removes what provisioning made, safest first: a blade with a BMC is powered off (and seen off) so nothing runs on
/// the disk about to go; then the target (no initiator can log in any more), the volume file, the volume row, and the
/// blade's leases. The blade returns to Discovered with no image assigned, so its next boot shows the menu. Every step
/// is idempotent, so an interrupted decommission finishes when the job resumes. A failed one leaves the blade Failed
/// with the reason on its timeline; retrying the job (or decommissioning again) starts over from the top.
/// </summary>
internal sealed class DecommissionBladeJob(
    IDbContextFactory<ApplianceDbContext> contexts,
    ITargetDriver targets,
    TargetChangeLock targetChanges,
    ILeaseDirectory leases,
    BladePower power,
    TimeProvider time)
    : IJobHandler
{
    private static readonly TimeSpan CloneStopTimeout = TimeSpan.FromMinutes(5);

    /// <summary>How long a BMC has to report off after accepting the power-off.</summary>
    internal static readonly TimeSpan PowerOffWait = TimeSpan.FromMinutes(2);

    public string Kind => ProvisioningJobs.Decommission;

    public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var p = context.Parameters<DecommissionParameters>();
        await ResumeAsync(p.BladeId, context, cancellationToken);
        await WaitForCloneToStopAsync(p.BladeId, cancellationToken);
        await context.ReportAsync(1, 4, cancellationToken: cancellationToken);

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var blade = await db.Blades.SingleAsync(b => b.Id == p.BladeId, cancellationToken);
        var volumes = await db.BootVolumes.Where(v => v.BladeId == p.BladeId).ToListAsync(cancellationToken);
        if (volumes.Count > 0)
        {
            await PowerOffAsync(blade, context, cancellationToken);
        }

        foreach (var volume in volumes)
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
            if (volume.SeedPath is not null)
            {
                File.Delete(volume.SeedPath);
            }
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

    /// <summary>
    /// A failed decommission leaves the blade Failed and nothing of the job running: tell the operator so, with the
    /// way on (retry). Runs once the job failed or was cancelled for good.
    /// </summary>
    public async Task CleanupAsync(JobContext context, CancellationToken cancellationToken)
    {
        var p = context.Parameters<DecommissionParameters>();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var blade = await db.Blades.SingleOrDefaultAsync(b => b.Id == p.BladeId, cancellationToken);
        if (blade is { State: BladeState.Decommissioning })
        {
            db.Events.Add(BladeStateMachine.Transition(
                blade, BladeState.Failed, "jobs", $"decommission job {context.JobId} did not finish; retry it, or decommission the blade again", time.GetUtcNow()));
            await db.SaveChangesAsync(cancellationToken);
        }
    }

    /// <summary>A retried job finds its blade Failed (see <see cref="CleanupAsync"/>): it is decommissioning again.</summary>
    private async Task ResumeAsync(long bladeId, JobContext context, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var blade = await db.Blades.SingleAsync(b => b.Id == bladeId, ct);
        if (blade.State is not (BladeState.Decommissioning or BladeState.Failed))
        {
            // Provisioned again since this job failed: retrying it now would take the new disk away.
            throw DomainException.Conflict(ErrorCodes.IllegalTransition, $"Blade {bladeId} is {blade.State}; this decommission no longer applies. Decommission the blade again if that is meant.");
        }

        if (blade.State == BladeState.Failed)
        {
            db.Events.Add(BladeStateMachine.Transition(blade, BladeState.Decommissioning, "jobs", $"decommission job {context.JobId} runs again", time.GetUtcNow()));
            await db.SaveChangesAsync(ct);
        }
    }

    /// <summary>
    /// The blade may still run from the disk about to be removed: off first. A BMC that fails stops the job before
    /// anything is removed (the job fails with <see cref="ErrorCodes.PowerOffFailed"/> and can be retried).
    /// </summary>
    private async Task PowerOffAsync(Blade blade, JobContext context, CancellationToken ct)
    {
        try
        {
            await power.PowerOffAsync(blade, "jobs", context.JobId, PowerOffWait, ct);
        }
        catch (PowerException ex)
        {
            throw DomainException.Conflict(
                ErrorCodes.PowerOffFailed,
                $"Blade {blade.Id} could not be powered off through {blade.PowerDriver} ({ex.Code}: {ex.Message}); nothing was removed. "
                + "Fix the BMC and retry the decommission, or set the blade's power driver to InBand to remove its disk without powering it off.");
        }
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
