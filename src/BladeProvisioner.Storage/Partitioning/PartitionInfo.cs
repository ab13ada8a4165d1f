namespace BladeProvisioner.Storage.Partitioning;

/// <summary>One partition as recorded on the volume row. Type is the MBR type in hex ("83") or the GPT type GUID.</summary>
public sealed record PartitionInfo(int Number, long FirstLba, long LastLba, string Type, Guid? UniqueGuid, bool Bootable)
{
    public long SectorCount => LastLba - FirstLba + 1;
}
