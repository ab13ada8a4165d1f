namespace BladeProvisioner.Storage.Images.Initramfs;

/// <summary>Bounds on reading one initramfs, so a hostile image can neither exhaust memory or disk nor hang an import.</summary>
internal sealed record InitramfsLimits
{
    /// <summary>The largest initramfs file copied out of an image (real ones are 20-100 MiB).</summary>
    public long MaxFileBytes { get; init; } = 512L << 20;

    /// <summary>Uncompressed bytes read through, over all archives of one initramfs (real ones unpack to 100-400 MiB).</summary>
    public long MaxUnpackedBytes { get; init; } = 2L << 30;

    public int MaxEntries { get; init; } = 200_000;

    /// <summary>The largest file whose content is kept (configuration files and scripts).</summary>
    public int MaxKeptFileBytes { get; init; } = 256 << 10;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);
}
