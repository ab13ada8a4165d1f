using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Security;
using BladeProvisioner.Storage.Targets;

namespace BladeProvisioner.Storage.Volumes;

/// <summary>A volume row as the target driver needs it, CHAP secrets decrypted only here, only for the driver.</summary>
public static class VolumeTargetSpec
{
    public static TargetSpec For(BootVolume v, string initiatorIqn, ISecretProtector secrets)
    {
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(secrets);
        return new TargetSpec(v.TargetIqn, v.Lun, v.BackingPath, v.ScsiSerial, v.Wwn, initiatorIqn, v.ChapUser, secrets.Unprotect(v.ChapSecretProtected))
        {
            MutualChapUser = v.MutualChapUser,
            MutualChapSecret = v.MutualChapSecretProtected is null ? null : secrets.Unprotect(v.MutualChapSecretProtected),
            ExtraLuns = v is { SeedPath: { } seed, SeedLun: { } lun, SeedScsiSerial: { } serial, SeedWwn: { } wwn }
                ? [new TargetLun(lun, seed, serial, wwn)]
                : [],
        };
    }
}
