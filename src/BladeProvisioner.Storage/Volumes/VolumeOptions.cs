using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Storage.Volumes;

/// <summary>Section <c>Storage:Volumes</c>: the blades' boot LUN files.</summary>
public sealed class VolumeOptions
{
    public const string Section = "Storage:Volumes";

    /// <summary>Where volume files live. Empty: &lt;data directory&gt;/volumes. Put it on XFS for instant reflink clones.</summary>
    public string? Directory { get; set; }

    /// <summary>Volume size when the operator asks for none: the donor's size, rounded up to this many MiB.</summary>
    [Range(1, 1 << 20)]
    public int RoundUpMiB { get; set; } = 1;

    /// <summary>
    /// Mutual CHAP (the target proves itself to the initiator too) for new volumes of blades that do not say otherwise
    /// (<c>blades.mutual_chap</c>). On: iPXE and open-iscsi (iBFT) both authenticate the target.
    /// </summary>
    public bool MutualChap { get; set; } = true;
}
