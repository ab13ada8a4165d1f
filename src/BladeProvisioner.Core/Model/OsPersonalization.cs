namespace BladeProvisioner.Core.Model;

/// <summary>What a clone of an image gets inside its OS before it is exported (docs/operations.md, "Making a donor image").</summary>
public enum OsPersonalization
{
    /// <summary>The blade's own machine-id, SSH host keys, hostname and initiator name; the root filesystem grown.</summary>
    Identity,

    /// <summary>Nothing inside the OS is changed (the partition table is still grown and, per the disk-id policy, re-identified).</summary>
    Off,
}
