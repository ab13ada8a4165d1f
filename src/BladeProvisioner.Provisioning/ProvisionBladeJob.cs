using System.Security.Cryptography;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Lifecycle;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Security;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Data;
using BladeProvisioner.Jobs;
using BladeProvisioner.Platform.Files;
using BladeProvisioner.Power;
using BladeProvisioner.Storage;
using BladeProvisioner.Storage.Cloning;
using BladeProvisioner.Storage.Identity;
using BladeProvisioner.Storage.Partitioning;
using BladeProvisioner.Storage.Targets;
using BladeProvisioner.Storage.Volumes;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Provisioning;

/// <summary>
/// Donor → blade LUN: copy (reflink or sparse, resumable), personalise the partition table, verify block 0 and the
/// table, export under the blade's target with ACL and CHAP, mark the blade Provisioned, restart it. The volume is
/// exported only after it verified: a half-made volume is never visible to any initiator. Every phase is idempotent
/// and its completion is checkpointed after its effect is durable, so a kill -9 anywhere resumes at the phase it
/// interrupted (docs/operations.md, "Clone phases and a kill -9").
/// </summary>
internal sealed class ProvisionBladeJob(
    IDbContextFactory<ApplianceDbContext> contexts,
    VolumeCopier copier,
    VolumePartitioner partitioner,
    OsPersonalizer os,
    CloudInitSeeding seeding,
    ITargetDriver targets,
    TargetChangeLock targetChanges,
    ISecretProtector secrets,
    BladePower bladePower,
    TimeProvider time) : IJobHandler
{
    private const string PhaseCopy = "copy";
    private const string PhaseCopied = "copied";
    private const string PhaseVerified = "verified";

    public string Kind => ProvisioningJobs.Provision;

    public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var p = context.Parameters<ProvisionParameters>();
        var checkpoint = context.Checkpoint<ProvisionCheckpoint>();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var volume = await db.BootVolumes.SingleAsync(v => v.Id == p.VolumeId, cancellationToken);
        var blade = await db.Blades.SingleAsync(b => b.Id == p.BladeId, cancellationToken);
        var image = await db.DonorImages.AsNoTracking().SingleAsync(i => i.Id == p.ImageId, cancellationToken);
        if (volume.State == BootVolumeState.Exported && blade.State != BladeState.Provisioning)
        {
            return;
        }

        if (blade.State == BladeState.Failed)
        {
            // A retry of a failed attempt.
            db.Events.Add(BladeStateMachine.Transition(blade, BladeState.Provisioning, "jobs", "provisioning retried", time.GetUtcNow()));
        }

        if (checkpoint?.Phase != PhaseVerified)
        {
            await CopyAndVerifyAsync(context, db, volume, blade, image, checkpoint, cancellationToken);
        }

        // The cloud-init seed, beside the volume, before the export names it as the target's next LUN.
        if (volume.SeedPath is null || !File.Exists(volume.SeedPath))
        {
            await context.EnsureOwnedAsync(cancellationToken);
            await seeding.SeedAsync(context, db, volume, blade, image, cancellationToken);
        }

        // Export: only now does any initiator see the LUN, and only this blade's.
        if (blade.InitiatorIqn is null)
        {
            throw DomainException.Conflict(ErrorCodes.InvalidIqn, $"Blade {blade.Id} has no initiator name.");
        }

        // Only the execution that owns the job exports, and under the node's target lock, so a reconcile pass that read
        // the volumes before this row said Exported cannot remove the new target as unknown.
        await context.EnsureOwnedAsync(cancellationToken);
        using (await targetChanges.AcquireAsync(cancellationToken))
        {
            await targets.EnsureTargetAsync(VolumeTargetSpec.For(volume, blade.InitiatorIqn, secrets), cancellationToken);
            await ClonePhasePause.AfterEffectAsync(cancellationToken);
            volume.State = BootVolumeState.Exported;
            db.Events.Add(BladeStateMachine.Transition(blade, BladeState.Provisioned, "jobs", $"{image.DisplayName} exported as {volume.TargetIqn} LUN {volume.Lun}", time.GetUtcNow()));
            await db.SaveChangesAsync(CancellationToken.None);
        }

        context.Timeline.Record(new TimelineRecord("storage", "volume.exported", $"Target {volume.TargetIqn} LUN {volume.Lun} serial {volume.ScsiSerial} exported to {blade.InitiatorIqn}")
        {
            BladeId = blade.Id,
            BootVolumeId = volume.Id,
            JobId = context.JobId,
        });

        await RestartAsync(context, blade, cancellationToken);
    }

    public async Task CleanupAsync(JobContext context, CancellationToken cancellationToken)
    {
        var p = context.Parameters<ProvisionParameters>();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var volume = await db.BootVolumes.SingleOrDefaultAsync(v => v.Id == p.VolumeId, cancellationToken);
        if (volume is not null)
        {
            using (await targetChanges.AcquireAsync(cancellationToken))
            {
                volume.State = BootVolumeState.Failed;
                await db.SaveChangesAsync(cancellationToken);
                await targets.RemoveTargetAsync(volume.TargetIqn, cancellationToken);
            }

            File.Delete(volume.BackingPath);
            if (volume.SeedPath is not null)
            {
                File.Delete(volume.SeedPath);
            }
        }

        var blade = await db.Blades.SingleOrDefaultAsync(b => b.Id == p.BladeId, cancellationToken);
        if (blade is not null && BladeStateMachine.CanTransition(blade.State, BladeState.Failed) && blade.State == BladeState.Provisioning)
        {
            db.Events.Add(BladeStateMachine.Transition(blade, BladeState.Failed, "jobs", "provisioning did not finish; leftovers removed", time.GetUtcNow()));
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task CopyAndVerifyAsync(
        JobContext context, ApplianceDbContext db, BootVolume volume, Blade blade, DonorImage image, ProvisionCheckpoint? checkpoint, CancellationToken ct)
    {
        var plan = await partitioner.PlanAsync(image.Path!, ct);
        if (checkpoint?.Phase != PhaseCopied || !File.Exists(volume.BackingPath))
        {
            checkpoint = await CopyAsync(context, db, volume, image, plan, checkpoint, ct);
        }

        // Personalise: identifiers derived from the seed recorded before the first write, so running it again after a
        // kill rewrites the same bytes. The donor is not hashed again here: block 0 of the volume is no longer the donor's.
        // A donor whose boot chain names partitions by PARTUUID/PARTLABEL keeps its disk and partition ids.
        volume.State = BootVolumeState.Verifying;
        await db.SaveChangesAsync(ct);
        await context.EnsureOwnedAsync(ct);
        var seed = Convert.FromHexString(checkpoint.IdentifierSeed!);
        var donorLayout = await partitioner.ReadLayoutAsync(image.Path!, ct);
        var references = donorLayout is not null && image.DiskIdentifiers == DiskIdentifierPolicy.Auto
            ? await os.FindPartitionReferencesAsync(volume.BackingPath, (await partitioner.ReadLayoutAsync(volume.BackingPath, ct))!, ct)
            : [];
        var newIds = image.DiskIdentifiers switch
        {
            DiskIdentifierPolicy.Keep => false,
            DiskIdentifierPolicy.Regenerate => true,
            _ => references.Count == 0,
        };
        var options = PersonalizeOptions.Default with { Plan = plan, IdentifierSeed = seed, NewIdentifiers = newIds };
        var personalised = await partitioner.PersonalizeAsync(volume.BackingPath, volume.SizeBytes, options, ct);
        var layout = await partitioner.VerifyAsync(volume.BackingPath, ct);
        var identity = new BladeIdentity(blade.Hostname ?? $"blade-{blade.Id}", blade.InitiatorIqn ?? string.Empty, seed);
        OsPersonalizeResult osResult;
        IReadOnlyList<string> rewritten = [];
        var personalising = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            if (newIds && donorLayout is not null && image.DiskIdentifiers == DiskIdentifierPolicy.Regenerate)
            {
                rewritten = await os.RewritePartitionReferencesAsync(volume.BackingPath, donorLayout, layout, ct);
            }

            osResult = image.OsPersonalization == OsPersonalization.Off
                ? OsPersonalizeResult.Nothing($"OS personalisation is off for {image.DisplayName}")
                : await os.PersonalizeAsync(volume.BackingPath, layout, identity, ct);
        }
        catch (IdentityException e)
        {
            throw DomainException.Conflict(ErrorCodes.PersonalizationFailed, $"{image.DisplayName} could not be made blade {blade.Id}'s own machine: {e.Message} The clone was not exported.");
        }

        var personaliseSeconds = personalising.Elapsed.TotalSeconds;
        Durable.FsyncFileAndDirectory(volume.BackingPath);
        await ClonePhasePause.AfterEffectAsync(ct);
        volume.State = BootVolumeState.Ready;
        await db.SaveChangesAsync(ct);
        await context.ReportAsync(checkpoint.DurableOffset, checkpoint.DurableOffset, checkpoint with { Phase = PhaseVerified }, ct);
        var how = checkpoint.Reflinked ? " by reflink" : string.Empty;
        var ids = (newIds, image.DiskIdentifiers) switch
        {
            (false, DiskIdentifierPolicy.Keep) => $"disk id {personalised.DiskIdentifierAfter} kept (the image's policy)",
            (false, _) => $"disk id {personalised.DiskIdentifierAfter} kept ({references[0]})",
            (true, _) when rewritten.Count > 0 => $"new disk id {personalised.DiskIdentifierAfter}, PARTUUID references rewritten in {string.Join(", ", rewritten)}",
            _ => $"new disk id {personalised.DiskIdentifierAfter}",
        };
        var summary = $"{image.DisplayName} cloned{how} in {checkpoint.CopySeconds:F1} s; {ids}";
        context.Timeline.Record(new TimelineRecord("storage", "volume.cloned", summary)
        {
            BladeId = volume.BladeId,
            BootVolumeId = volume.Id,
            JobId = context.JobId,
            Details = new Dictionary<string, object?>
            {
                ["reflinked"] = checkpoint.Reflinked,
                ["bytes"] = checkpoint.DurableOffset,
                ["dataBytesCopied"] = checkpoint.DataBytesCopied,
                ["seconds"] = Math.Round(checkpoint.CopySeconds, 3),
                ["sha256"] = checkpoint.Sha256,
                ["diskIdentifier"] = personalised.DiskIdentifierAfter,
                ["diskIdentifiersKept"] = !newIds,
                ["diskIdentifierPolicy"] = image.DiskIdentifiers.ToString(),
                ["partitionReferences"] = references,
                ["referencesRewritten"] = rewritten,
            },
        });
        context.Timeline.Record(new TimelineRecord("storage", "volume.personalised", $"{osResult.Summary()} ({personaliseSeconds:F1} s)")
        {
            BladeId = volume.BladeId,
            BootVolumeId = volume.Id,
            JobId = context.JobId,
            Details = new Dictionary<string, object?>
            {
                ["rootPartition"] = osResult.RootPartition,
                ["skipped"] = osResult.Skipped,
                ["machineId"] = osResult.MachineId,
                ["hostname"] = osResult.Hostname,
                ["donorHostname"] = osResult.DonorHostname,
                ["sshHostKeys"] = osResult.SshHostKeys,
                ["initiatorName"] = osResult.InitiatorNameWritten,
                ["rootBytesBefore"] = osResult.RootBytesBefore,
                ["rootBytesAfter"] = osResult.RootBytesAfter,
                ["notGrown"] = osResult.NotGrown,
                ["seconds"] = Math.Round(personaliseSeconds, 3),
            },
        });
    }

    /// <summary>
    /// The copy phase, resumed from the durable offset. Its end is recorded ("copied") only once the whole donor is
    /// fdatasynced in the volume, the volume's name is durable in its directory, and the donor's SHA-256 matched.
    /// </summary>
    private async Task<ProvisionCheckpoint> CopyAsync(
        JobContext context, ApplianceDbContext db, BootVolume volume, DonorImage image, PartitionPlan plan, ProvisionCheckpoint? checkpoint, CancellationToken ct)
    {
        volume.State = BootVolumeState.Cloning;
        await db.SaveChangesAsync(ct);
        var resume = checkpoint?.Phase == PhaseCopy && File.Exists(volume.BackingPath) ? checkpoint.DurableOffset : 0;
        PrivateDirectory.Ensure(Path.GetDirectoryName(volume.BackingPath)!);
        var result = await copier.CopyAsync(
            new CopyRequest(image.Path!, volume.BackingPath, volume.SizeBytes)
            {
                ResumeOffset = resume,
                DestinationOffset = plan.DestinationOffset,
                ComputeSha256 = image.Sha256 is not null,
            },
            new CheckpointingProgress(context, checkpoint?.IdentifierSeed, ct),
            ct);

        // What was copied is what the donor version is: a changed or damaged donor file fails the clone. (On a resume
        // the copier hashes the already copied prefix from the donor, not from the volume.)
        if (image.Sha256 is not null && result.Sha256 is not null && !string.Equals(result.Sha256, image.Sha256, StringComparison.Ordinal))
        {
            throw DomainException.Conflict(ErrorCodes.DonorChecksumMismatch, $"{image.DisplayName} no longer matches its SHA-256 ({result.Sha256} ≠ {image.Sha256}); the clone was discarded.");
        }

        Durable.FsyncFileAndDirectory(volume.BackingPath);
        await ClonePhasePause.AfterEffectAsync(ct);
        var copied = new ProvisionCheckpoint(
            result.BytesTotal,
            PhaseCopied,
            checkpoint?.IdentifierSeed ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            result.Reflinked,
            result.DataBytesCopied,
            result.Elapsed.TotalSeconds,
            result.Sha256);
        await context.ReportAsync(result.BytesTotal, result.BytesTotal, copied, ct);
        return copied;
    }

    /// <summary>IPMI and Redfish blades are restarted from here; in-band blades reboot from their progress screen.</summary>
    private async Task RestartAsync(JobContext context, Blade blade, CancellationToken ct)
    {
        if (blade.PowerDriver == PowerDriverKind.InBand)
        {
            return;
        }

        try
        {
            await bladePower.RestartAsync(blade, "jobs", context.JobId, ct);
        }
        catch (PowerException)
        {
            // The volume is ready either way (the failure is on the timeline); the operator can restart the blade by hand.
        }
    }

    private sealed class CheckpointingProgress(JobContext context, string? seed, CancellationToken ct) : IProgress<CopyProgress>
    {
        public void Report(CopyProgress value) =>
            context.ReportAsync(value.BytesDone, value.BytesTotal, new ProvisionCheckpoint(value.DurableOffset, PhaseCopy, seed), ct).GetAwaiter().GetResult();
    }
}
