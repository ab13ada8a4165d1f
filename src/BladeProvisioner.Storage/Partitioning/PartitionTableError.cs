namespace BladeProvisioner.Storage.Partitioning;

/// <summary>Why a partition table read from disk was rejected. Stable: the volume row and the API report these.</summary>
public enum PartitionTableError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The buffer or the volume ends before a structure (or a length read from disk) says it should.</summary>
    Truncated,

    /// <summary>No 0x55AA boot signature, or no "EFI PART" signature where a GPT header must be.</summary>
    BadSignature,

    /// <summary>GPT header CRC32 mismatch.</summary>
    BadHeaderCrc,

    /// <summary>GPT partition entry array CRC32 mismatch.</summary>
    BadEntriesCrc,

    /// <summary>A header field is out of its legal range (header size, revision, entry size, reserved bytes, own LBA).</summary>
    BadHeaderField,

    /// <summary>An MBR entry's boot indicator is neither 0x00 nor 0x80.</summary>
    BadBootIndicator,

    /// <summary>A partition starts before the first usable block, ends past the last one or past the volume, or is empty.</summary>
    EntryOutOfRange,

    /// <summary>Two partitions share blocks, or the entry array overlaps the usable area.</summary>
    Overlap,

    /// <summary>The GPT entry array is larger than this appliance accepts (a hostile count or size).</summary>
    TooManyEntries,

    /// <summary>Block 0 holds neither a partition table nor a filesystem this appliance recognises.</summary>
    NotRecognised,

    /// <summary>The layout is valid but this operation does not handle it (for example growing an extended partition).</summary>
    Unsupported,

    /// <summary>The volume is too small for the requested layout.</summary>
    VolumeTooSmall,
}
