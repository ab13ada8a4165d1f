namespace BladeProvisioner.Storage.Partitioning;

/// <summary>
/// How a donor must be copied so <see cref="VolumePartitioner.PersonalizeAsync"/> can finish the volume without
/// moving data: partitioned donors go to offset 0; a bare filesystem goes to <see cref="DestinationOffset"/>
/// (1 MiB), where its new single partition will start.
/// </summary>
/// <param name="DonorScheme">What the donor starts with.</param>
/// <param name="Filesystem">For a bare-filesystem donor, which one.</param>
/// <param name="DonorSize">Bytes in the donor file.</param>
/// <param name="DestinationOffset">Pass as <see cref="Cloning.CopyRequest.DestinationOffset"/>.</param>
/// <param name="MinimumVolumeSize">The smallest volume that holds the donor (and, when bare, the new tables).</param>
public sealed record PartitionPlan(
    PartitionScheme DonorScheme,
    FilesystemKind? Filesystem,
    long DonorSize,
    long DestinationOffset,
    long MinimumVolumeSize);
