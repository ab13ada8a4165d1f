using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Storage.Cloning;

/// <summary>Configuration section <c>Storage:Clone</c>.</summary>
public sealed class CloneOptions
{
    public const string Section = "Storage:Clone";

    /// <summary>Copies running at once on this node; further ones wait for a slot.</summary>
    [Range(1, 64)]
    public int MaxConcurrentClones { get; set; } = 2;

    /// <summary>Default cap on bytes read per second per copy, so clones do not starve running blades. Null = none.</summary>
    [Range(1L << 20, long.MaxValue)]
    public long? DefaultBytesPerSecondLimit { get; set; }

    /// <summary>Size of each read and write (aligned to it); 8 MiB.</summary>
    [Range(1 << 16, 64 << 20)]
    public int ChunkBytes { get; set; } = 8 << 20;

    /// <summary>Bytes between fdatasync checkpoints (also at least every second).</summary>
    [Range(16L << 20, 1L << 40)]
    public long CheckpointBytes { get; set; } = 256L << 20;

    /// <summary>Drop written pages from the page cache once durable, keeping it for running blades.</summary>
    public bool DropWrittenPagesFromCache { get; set; } = true;
}
