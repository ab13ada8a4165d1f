namespace BladeProvisioner.Storage.Targets;

public enum TargetDriverKind
{
    /// <summary>The user-space tgtd, driven with tgtadm. The default.</summary>
    Tgt,

    /// <summary>The kernel's LIO target, driven with targetcli (needs configfs and target_core_mod).</summary>
    Lio,
}
