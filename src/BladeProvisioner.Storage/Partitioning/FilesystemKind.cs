namespace BladeProvisioner.Storage.Partitioning;

/// <summary>Filesystems recognised at the start of a donor that has no partition table.</summary>
public enum FilesystemKind
{
    Ext,
    Xfs,
    Fat,
    Btrfs,
}
