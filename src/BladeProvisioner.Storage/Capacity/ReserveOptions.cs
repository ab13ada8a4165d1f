using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Storage.Capacity;

/// <summary>The free space one role keeps on its filesystem: the larger of <see cref="Bytes"/> and <see cref="Percent"/> of the filesystem.</summary>
public sealed class ReserveOptions
{
    [Range(0, long.MaxValue)]
    public long Bytes { get; set; }

    [Range(0.0, 90.0)]
    public double Percent { get; set; }

    /// <summary>The reserve on a filesystem of <paramref name="capacityBytes"/>.</summary>
    public long For(long capacityBytes) => Math.Max(Bytes, (long)(capacityBytes * (Percent / 100.0)));
}
