using System.Text;

namespace BladeProvisioner.Storage.Targets;

/// <summary>
/// What one blade's target must look like. Secrets arrive in plain text (the caller decrypts them) and are kept
/// out of <see cref="object.ToString"/>, logs and exception messages.
/// </summary>
public sealed record TargetSpec(
    string TargetIqn,
    int Lun,
    string BackingPath,
    string ScsiSerial,
    string Wwn,
    string InitiatorIqn,
    string ChapUser,
    string ChapSecret)
{
    /// <summary>Mutual (target-to-initiator) CHAP user; null when mutual CHAP is off.</summary>
    public string? MutualChapUser { get; init; }

    public string? MutualChapSecret { get; init; }

    public bool HasMutualChap => MutualChapUser is not null && MutualChapSecret is not null;

    /// <summary>LUNs besides <see cref="Lun"/> (the cloud-init seed); every other LUN on the target is removed.</summary>
    public IReadOnlyList<TargetLun> ExtraLuns { get; init; } = [];

    /// <summary>The boot LUN first, then <see cref="ExtraLuns"/>.</summary>
    public IEnumerable<TargetLun> AllLuns => ExtraLuns.Prepend(new TargetLun(Lun, BackingPath, ScsiSerial, Wwn));

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("TargetIqn = ").Append(TargetIqn)
            .Append(", Lun = ").Append(Lun)
            .Append(", BackingPath = ").Append(BackingPath)
            .Append(", ScsiSerial = ").Append(ScsiSerial)
            .Append(", Wwn = ").Append(Wwn)
            .Append(", InitiatorIqn = ").Append(InitiatorIqn)
            .Append(", ChapUser = ").Append(ChapUser)
            .Append(", ChapSecret = ***");
        foreach (var extra in ExtraLuns)
        {
            builder.Append(", Lun ").Append(extra.Lun).Append(" = ").Append(extra.BackingPath);
        }

        if (MutualChapUser is not null)
        {
            builder.Append(", MutualChapUser = ").Append(MutualChapUser).Append(", MutualChapSecret = ***");
        }

        return true;
    }
}
