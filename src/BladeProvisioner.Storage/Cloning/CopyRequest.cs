namespace BladeProvisioner.Storage.Cloning;

/// <summary>
/// One copy of a donor (or an upload being imported) into a volume file.
/// Offsets in <see cref="ResumeOffset"/> and in <see cref="CopyProgress.DurableOffset"/> are source offsets.
/// </summary>
/// <param name="Source">The donor version file (raw, usually sparse).</param>
/// <param name="Destination">The volume file; created, or extended to <paramref name="DestinationSize"/> (sparse).</param>
/// <param name="DestinationSize">Final size of the volume; at least <see cref="DestinationOffset"/> + source size.</param>
public sealed record CopyRequest(string Source, string Destination, long DestinationSize)
{
    /// <summary>
    /// 0 = fresh copy (an existing destination is truncated). Greater than 0 = the destination already holds durable
    /// data up to this source offset (a checkpoint from <see cref="CopyProgress.DurableOffset"/>); anything after it
    /// is discarded and the copy continues from there. At most the source size.
    /// </summary>
    public long ResumeOffset { get; init; }

    /// <summary>Caps the rate of data read from the source; null = <see cref="CloneOptions.DefaultBytesPerSecondLimit"/>.</summary>
    public long? BytesPerSecondLimit { get; init; }

    /// <summary>Try FICLONE first (instant on XFS/btrfs when source and destination share a filesystem).</summary>
    public bool AllowReflink { get; init; } = true;

    /// <summary>SHA-256 of the whole logical source (holes as zeros), returned in <see cref="CopyResult.Sha256"/>.</summary>
    public bool ComputeSha256 { get; init; }

    /// <summary>
    /// Where the source's byte 0 lands in the destination; a multiple of 4 KiB. 0 for partitioned donors. A bare
    /// filesystem donor is written at <see cref="Partitioning.PartitionPlan.DestinationOffset"/> (1 MiB) so that
    /// <see cref="Partitioning.VolumePartitioner"/> can put a partition table in front of it without moving data.
    /// </summary>
    public long DestinationOffset { get; init; }

    /// <summary>Delete the destination when the copy fails or is cancelled (otherwise it is kept for a resume).</summary>
    public bool DeleteDestinationOnFailure { get; init; }
}
