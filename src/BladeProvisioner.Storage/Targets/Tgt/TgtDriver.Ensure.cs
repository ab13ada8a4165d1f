using BladeProvisioner.Core.Security;

namespace BladeProvisioner.Storage.Targets.Tgt;

public sealed partial class TgtDriver
{
    private async Task EnsureLunsAsync(TgtShowParser.Target target, TargetSpec spec, CancellationToken ct)
    {
        var tid = TgtAdmin.Tid(target.Tid);
        foreach (var desired in spec.AllLuns)
        {
            await EnsureLunAsync(target, spec.TargetIqn, desired, ct);
        }

        var wanted = spec.AllLuns.Select(l => l.Lun).ToHashSet();
        foreach (var extra in target.Luns.Where(l => !l.IsController && !wanted.Contains(l.Lun)))
        {
            LogLunCorrected(_logger, spec.TargetIqn, extra.Lun, "unexpected LUN removed");
            await _admin.RunAsync(ct, "--op", "delete", "--mode", "logicalunit", "--tid", tid, "--lun", TgtAdmin.Tid(extra.Lun));
        }
    }

    private async Task EnsureLunAsync(TgtShowParser.Target target, string targetIqn, TargetLun spec, CancellationToken ct)
    {
        var tid = TgtAdmin.Tid(target.Tid);
        var lun = TgtAdmin.Tid(spec.Lun);
        var live = target.Luns.FirstOrDefault(l => l.Lun == spec.Lun);
        if (live is not null && !string.Equals(live.BackingPath, spec.BackingPath, StringComparison.Ordinal))
        {
            LogLunCorrected(_logger, targetIqn, spec.Lun, "backing file");
            await _admin.RunAsync(ct, "--op", "delete", "--mode", "logicalunit", "--tid", tid, "--lun", lun);
            live = null;
        }

        if (live is null)
        {
            await _admin.RunAsync(
                ct, "--op", "new", "--mode", "logicalunit", "--tid", tid, "--lun", lun, "--backing-store", spec.BackingPath);
        }

        if (live is null || !string.Equals(live.ScsiSerial, spec.ScsiSerial, StringComparison.Ordinal)
            || !string.Equals(live.Wwn, spec.Wwn, StringComparison.Ordinal))
        {
            if (live is not null)
            {
                LogLunCorrected(_logger, targetIqn, spec.Lun, "serial/WWN");
            }

            // tgt 1.0.85 puts scsi_id both in the T10 designator and, hex-decoded, in an NAA designator of VPD 0x83.
            await _admin.RunAsync(
                ct, "--op", "update", "--mode", "logicalunit", "--tid", tid, "--lun", lun,
                "--params", $"scsi_sn={spec.ScsiSerial},scsi_id={spec.Wwn}");
        }
    }

    /// <param name="target">The target as tgtd shows it now.</param>
    /// <param name="accounts">The CHAP accounts tgtd has.</param>
    /// <param name="user">Desired account for this direction; null: none (mutual CHAP off).</param>
    /// <param name="secret">The account's secret (never logged).</param>
    /// <param name="outgoing">Mutual CHAP (the target's own account) rather than the initiator's.</param>
    /// <param name="ct">Cancels the tgtadm calls.</param>
    private async Task EnsureChapAsync(
        TgtShowParser.Target target, HashSet<string> accounts, string? user, string? secret, bool outgoing, CancellationToken ct)
    {
        var bound = outgoing ? target.Outgoing : target.Incoming;
        if (outgoing)
        {
            // tgt allows one outgoing account per target, so a stray one goes before ours is bound.
            foreach (var other in bound.Where(u => !string.Equals(u, user, StringComparison.Ordinal)).ToList())
            {
                await _admin.UnbindAccountAsync(target.Tid, other, outgoing: true, ct);
                bound.Remove(other);
                LogChapCorrected(_logger, target.Iqn, other, "outgoing account unbound");
            }
        }

        if (user is null || secret is null)
        {
            return;
        }

        if (!accounts.Contains(user))
        {
            await _admin.NewAccountAsync(user, secret, ct);
            accounts.Add(user);
            _secrets.Record(user, secret);
            bound.Remove(user);
        }
        else if (!_secrets.Matches(user, secret))
        {
            await ReplaceAccountAsync(target, user, secret, outgoing, bound.Contains(user), ct);
        }

        if (!bound.Contains(user))
        {
            await _admin.BindAccountAsync(target.Tid, user, outgoing, ct);
            bound.Add(user);
            LogChapCorrected(_logger, target.Iqn, user, outgoing ? "outgoing account bound" : "incoming account bound");
        }

        // Incoming strays (and lock accounts of an interrupted replacement) go only once ours is bound: a target
        // with no incoming account at all would admit initiators without CHAP.
        foreach (var other in bound.Where(u => !string.Equals(u, user, StringComparison.Ordinal)).ToList())
        {
            if (other.StartsWith(LockAccountPrefix, StringComparison.Ordinal))
            {
                await _admin.DeleteAccountAsync(other, ct);
            }
            else
            {
                await _admin.UnbindAccountAsync(target.Tid, other, outgoing, ct);
            }

            bound.Remove(other);
            LogChapCorrected(_logger, target.Iqn, other, "account unbound");
        }
    }

    /// <summary>
    /// tgt cannot change a password in place and never shows one, so the account is deleted and made again. For
    /// a bound incoming account a lock account with a random secret is bound meanwhile: it keeps CHAP required.
    /// Leaves the target's bound set holding the account only if it is bound again on return.
    /// </summary>
    private async Task ReplaceAccountAsync(
        TgtShowParser.Target target, string user, string secret, bool outgoing, bool wasBound, CancellationToken ct)
    {
        var bound = outgoing ? target.Outgoing : target.Incoming;
        string? lockUser = null;
        if (wasBound && !outgoing)
        {
            lockUser = LockAccountPrefix + TgtAdmin.Tid(target.Tid);
            await _admin.DeleteAccountAsync(lockUser, ct);
            await _admin.NewAccountAsync(lockUser, ChapSecret.Generate(), ct);
            await _admin.BindAccountAsync(target.Tid, lockUser, outgoing: false, ct);
            bound.Add(lockUser);
        }

        await _admin.DeleteAccountAsync(user, ct);
        bound.Remove(user);
        await _admin.NewAccountAsync(user, secret, ct);
        _secrets.Record(user, secret);
        LogChapCorrected(_logger, target.Iqn, user, "secret re-applied");
    }

    private async Task EnsureAclAsync(TgtShowParser.Target target, TargetSpec spec, CancellationToken ct)
    {
        var tid = TgtAdmin.Tid(target.Tid);
        if (!target.Acl.Contains(spec.InitiatorIqn, StringComparer.Ordinal))
        {
            await _admin.RunAsync(ct, "--op", "bind", "--mode", "target", "--tid", tid, "--initiator-name", spec.InitiatorIqn);
            LogAclCorrected(_logger, spec.TargetIqn, spec.InitiatorIqn, "bound");
        }

        foreach (var other in target.Acl.Where(a => !string.Equals(a, spec.InitiatorIqn, StringComparison.Ordinal)))
        {
            await _admin.RunAsync(ct, "--op", "unbind", "--mode", "target", "--tid", tid, TgtAdmin.AclOption(other), other);
            LogAclCorrected(_logger, spec.TargetIqn, other, "unbound");
        }
    }
}
