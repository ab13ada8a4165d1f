namespace BladeProvisioner.Storage.Targets.Reconciler;

/// <summary>
/// Compares a desired target with the live one. Only what the service reports can be compared: CHAP secrets are
/// never shown, so they are re-asserted by ensuring instead (see <see cref="TargetReconciler"/>).
/// </summary>
internal static class TargetDrift
{
    public static List<string> Describe(TargetSpec spec, LiveTarget live)
    {
        var diffs = new List<string>();
        foreach (var desired in spec.AllLuns)
        {
            var lun = live.FindLun(desired.Lun);
            if (lun is null)
            {
                diffs.Add($"LUN {desired.Lun} missing");
                continue;
            }

            if (!string.Equals(lun.BackingPath, desired.BackingPath, StringComparison.Ordinal))
            {
                diffs.Add($"LUN {desired.Lun} backing file is '{lun.BackingPath}', expected '{desired.BackingPath}'");
            }

            if (!string.Equals(lun.ScsiSerial, desired.ScsiSerial, StringComparison.Ordinal))
            {
                diffs.Add($"LUN {desired.Lun} serial is '{lun.ScsiSerial}', expected '{desired.ScsiSerial}'");
            }

            // A null WWN means the service cannot report it (LIO derives it from the serial).
            if (lun.Wwn is not null && !string.Equals(lun.Wwn, desired.Wwn, StringComparison.Ordinal))
            {
                diffs.Add($"LUN {desired.Lun} WWN is '{lun.Wwn}', expected '{desired.Wwn}'");
            }
        }

        var wanted = spec.AllLuns.Select(l => l.Lun).ToHashSet();
        foreach (var extra in live.Luns.Where(l => !l.IsController && !wanted.Contains(l.Lun)))
        {
            diffs.Add($"unexpected LUN {extra.Lun}");
        }

        if (!live.Acl.Contains(spec.InitiatorIqn, StringComparer.Ordinal))
        {
            diffs.Add($"ACL lacks initiator '{spec.InitiatorIqn}'");
        }

        foreach (var other in live.Acl.Where(a => !string.Equals(a, spec.InitiatorIqn, StringComparison.Ordinal)))
        {
            diffs.Add($"ACL admits '{other}'");
        }

        CompareUsers(diffs, "CHAP", [spec.ChapUser], live.IncomingUsers);
        CompareUsers(diffs, "mutual CHAP", spec.HasMutualChap ? [spec.MutualChapUser!] : [], live.OutgoingUsers);
        return diffs;
    }

    private static void CompareUsers(List<string> diffs, string what, IReadOnlyList<string> desired, IReadOnlyList<string> live)
    {
        foreach (var user in desired.Except(live, StringComparer.Ordinal))
        {
            diffs.Add($"{what} account '{user}' not bound");
        }

        foreach (var user in live.Except(desired, StringComparer.Ordinal))
        {
            diffs.Add($"{what} account '{user}' bound but not expected");
        }
    }
}
