namespace BladeProvisioner.Storage.Partitioning;

/// <summary>
/// A volume's partition table is corrupt or unusable. Thrown by <see cref="VolumePartitioner"/> only; the span
/// readers underneath return a <see cref="PartitionTableError"/> status instead of throwing.
/// </summary>
public sealed class PartitionTableException : Exception
{
    public PartitionTableException(PartitionTableError code, string message)
        : base($"{code}: {message}")
    {
        Code = code;
    }

    public PartitionTableException()
        : this(PartitionTableError.NotRecognised, "Partition table rejected.")
    {
    }

    public PartitionTableException(string message)
        : this(PartitionTableError.NotRecognised, message)
    {
    }

    public PartitionTableException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = PartitionTableError.NotRecognised;
    }

    public PartitionTableError Code { get; }

    /// <summary>The stable API error code, for example <c>PARTITION_TABLE_BAD_HEADER_CRC</c>.</summary>
    public string ErrorCode => "PARTITION_TABLE_" + Code switch
    {
        PartitionTableError.None => "OK",
        PartitionTableError.Truncated => "TRUNCATED",
        PartitionTableError.BadSignature => "BAD_SIGNATURE",
        PartitionTableError.BadHeaderCrc => "BAD_HEADER_CRC",
        PartitionTableError.BadEntriesCrc => "BAD_ENTRIES_CRC",
        PartitionTableError.BadHeaderField => "BAD_HEADER_FIELD",
        PartitionTableError.BadBootIndicator => "BAD_BOOT_INDICATOR",
        PartitionTableError.EntryOutOfRange => "ENTRY_OUT_OF_RANGE",
        PartitionTableError.Overlap => "OVERLAP",
        PartitionTableError.TooManyEntries => "TOO_MANY_ENTRIES",
        PartitionTableError.NotRecognised => "NOT_RECOGNISED",
        PartitionTableError.Unsupported => "UNSUPPORTED",
        PartitionTableError.VolumeTooSmall => "VOLUME_TOO_SMALL",
        _ => "UNKNOWN",
    };
}
