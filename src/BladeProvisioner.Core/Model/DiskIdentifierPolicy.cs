namespace BladeProvisioner.Core.Model;

/// <summary>Whether a clone of an image gets new disk and partition ids (MBR signature, GPT disk and partition GUIDs).</summary>
public enum DiskIdentifierPolicy
{
    /// <summary>Kept when the donor's fstab, GRUB config or kernel command line names a partition by PARTUUID/PARTLABEL, else new.</summary>
    Auto,

    /// <summary>Always the donor's (for example a non-Linux donor whose boot configuration records its disk ids).</summary>
    Keep,

    /// <summary>Always new; PARTUUID references in the root's fstab, GRUB config and kernel command line are rewritten to the new ids.</summary>
    Regenerate,
}
