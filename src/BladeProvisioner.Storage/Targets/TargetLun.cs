namespace BladeProvisioner.Storage.Targets;

/// <summary>
/// A further logical unit on a blade's target, behind the same ACL and CHAP as its boot LUN (the cloud-init seed: the
/// OS's initiator scans every LUN of the target it logged in to; iPXE's sanboot hands only the boot LUN to the firmware).
/// </summary>
public sealed record TargetLun(int Lun, string BackingPath, string ScsiSerial, string Wwn);
