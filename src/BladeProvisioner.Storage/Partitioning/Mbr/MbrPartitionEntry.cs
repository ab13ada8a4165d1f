namespace BladeProvisioner.Storage.Partitioning.Mbr;

/// <summary>One of the four primary slots of an MBR. <see cref="Slot"/> is 0-based; type 0 means empty.</summary>
public readonly record struct MbrPartitionEntry(int Slot, byte BootIndicator, byte Type, uint FirstLba, uint SectorCount)
{
    public const byte ProtectiveType = 0xEE;

    public bool IsEmpty => Type == 0;

    public bool IsExtended => Type is 0x05 or 0x0F or 0x85;

    /// <summary>One past the last sector.</summary>
    public long EndLba => (long)FirstLba + SectorCount;
}
