using BladeProvisioner.Storage.Partitioning.Gpt;
using BladeProvisioner.Storage.Partitioning.Mbr;

namespace BladeProvisioner.Storage.Partitioning;

/// <summary>What <see cref="PartitionTableReader"/> found at the start of a volume or donor.</summary>
public sealed record PartitionLayout(
    PartitionScheme Scheme,
    int SectorSize,
    MbrPartitionTable? Mbr,
    GptPartitionTable? Gpt,
    FilesystemKind? Filesystem);
