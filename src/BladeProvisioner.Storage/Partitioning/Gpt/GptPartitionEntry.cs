namespace BladeProvisioner.Storage.Partitioning.Gpt;

/// <summary>A used GPT entry. <see cref="Index"/> is its 0-based slot in the entry array.</summary>
public readonly record struct GptPartitionEntry(
    int Index,
    Guid TypeGuid,
    Guid UniqueGuid,
    long FirstLba,
    long LastLba,
    ulong Attributes,
    string Name);
