namespace BladeProvisioner.Storage.Partitioning;

/// <summary>What <see cref="VolumePartitioner.PersonalizeAsync"/> changes.</summary>
public sealed record PersonalizeOptions
{
    public static readonly PersonalizeOptions Default = new();

    /// <summary>
    /// New MBR disk signature, GPT disk GUID and partition unique GUIDs, so no two blades share identifiers.
    /// Donors that boot by PARTUUID (or Windows BCD bound to a disk signature) need this off.
    /// </summary>
    public bool NewIdentifiers { get; init; } = true;

    /// <summary>Grow the last partition to the end of the (larger) volume. The filesystem inside is not resized.</summary>
    public bool GrowLastPartition { get; init; } = true;

    /// <summary>The plan the donor was copied with; required for a bare-filesystem donor.</summary>
    public PartitionPlan? Plan { get; init; }

    /// <summary>
    /// When set, the new identifiers are derived from these bytes instead of drawn at random, so personalising the
    /// same volume twice (a resumed clone) writes the same bytes. Each volume needs its own seed (at least 16 random
    /// bytes, kept with the job that clones it).
    /// </summary>
    public IReadOnlyList<byte>? IdentifierSeed { get; init; }

    /// <summary>The table written in front of a bare-filesystem donor: MBR (BIOS-friendly) or GPT.</summary>
    public PartitionScheme BareFilesystemScheme { get; init; } = PartitionScheme.Mbr;
}
