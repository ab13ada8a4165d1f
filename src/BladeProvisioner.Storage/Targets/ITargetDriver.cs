namespace BladeProvisioner.Storage.Targets;

/// <summary>
/// One iSCSI target implementation (tgt or LIO). Every operation is idempotent: the reconciler and the
/// clone/decommission jobs may repeat any call after a crash.
/// </summary>
public interface ITargetDriver
{
    /// <summary>
    /// Creates the target or corrects it to match <paramref name="spec"/>: LUN with backing file, SCSI serial and
    /// WWN, an ACL admitting only the blade's initiator, CHAP (and optional mutual CHAP) accounts.
    /// </summary>
    Task EnsureTargetAsync(TargetSpec spec, CancellationToken ct);

    /// <summary>
    /// Removes the target: ACL first (no new logins), then its CHAP accounts, then the target with its sessions
    /// and LUN. If interrupted, a repeat finishes the job; a target without ACL admits nobody in between.
    /// </summary>
    Task RemoveTargetAsync(string targetIqn, CancellationToken ct);

    /// <summary>The live configuration, including connected sessions.</summary>
    Task<IReadOnlyList<LiveTarget>> ListAsync(CancellationToken ct);

    /// <summary>True when the target service answers its control interface.</summary>
    Task<bool> IsRunningAsync(CancellationToken ct);
}
