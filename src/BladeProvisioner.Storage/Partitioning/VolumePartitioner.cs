using BladeProvisioner.Storage.Cloning;
using BladeProvisioner.Storage.Partitioning.Mbr;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace BladeProvisioner.Storage.Partitioning;

/// <summary>
/// Makes a freshly copied volume this blade's own: new disk identifiers, the last partition grown to the volume's
/// end, GPT backup structures moved to the new last LBAs, the protective MBR resized; a bare-filesystem donor gets a
/// new single-partition table in front of it. <see cref="VerifyAsync"/> is the read-back before a volume is exported.
/// </summary>
public sealed partial class VolumePartitioner(ILogger<VolumePartitioner> logger)
{
    /// <summary>Where a bare filesystem's single partition starts: 1 MiB, the usual alignment.</summary>
    public const long BareFilesystemOffset = 1 << 20;

    public VolumePartitioner()
        : this(NullLogger<VolumePartitioner>.Instance)
    {
    }

    /// <summary>Inspects a donor and says how to copy it (<see cref="PartitionPlan.DestinationOffset"/>).</summary>
    public async Task<PartitionPlan> PlanAsync(string donorPath, CancellationToken ct)
    {
        using var file = File.OpenHandle(donorPath, FileMode.Open, FileAccess.Read, FileShare.Read);
        var size = RandomAccess.GetLength(file);
        var head = await ReadAsync(file, 0, (int)Math.Min(PartitionTableReader.HeadBytes, size), ct);
        var layout = Detect(head, size, "donor");
        if (layout.Scheme != PartitionScheme.BareFilesystem)
        {
            return new PartitionPlan(layout.Scheme, null, size, 0, size);
        }

        // Room for the new table in front and, for a GPT, its backup behind; rounded to whole MiB.
        var minimum = (BareFilesystemOffset + size + (2L << 20) - 1) / (1L << 20) * (1L << 20);
        return new PartitionPlan(PartitionScheme.BareFilesystem, layout.Filesystem, size, BareFilesystemOffset, minimum);
    }

    /// <summary>
    /// Rewrites the copied volume's table for this blade. The file is extended (sparse) to
    /// <paramref name="volumeSize"/> if shorter, never shrunk. Safe to run again after an interruption.
    /// </summary>
    public async Task<PersonalizeResult> PersonalizeAsync(
        string volumePath, long volumeSize, PersonalizeOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var file = File.OpenHandle(volumePath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        var length = RandomAccess.GetLength(file);
        if (length > volumeSize)
        {
            throw new PartitionTableException(
                PartitionTableError.VolumeTooSmall, $"The volume file is {length} bytes, more than the requested {volumeSize}.");
        }

        if (length < volumeSize)
        {
            RandomAccess.SetLength(file, volumeSize);
        }

        var head = await ReadAsync(file, 0, (int)Math.Min(PartitionTableReader.HeadBytes, volumeSize), ct);
        var status = new PartitionTableReader(head, volumeSize).TryRead(out var layout);
        PersonalizeResult result;
        if (status == PartitionTableError.None && layout!.Scheme == PartitionScheme.Mbr)
        {
            result = await PersonalizeMbrAsync(file, head, layout.Mbr!, volumeSize, options, ct);
        }
        else if (status == PartitionTableError.None && layout!.Scheme == PartitionScheme.Gpt)
        {
            result = await PersonalizeGptAsync(file, head, layout, volumeSize, options, ct);
        }
        else if (status == PartitionTableError.NotRecognised && options.Plan?.DonorScheme == PartitionScheme.BareFilesystem)
        {
            result = await PartitionBareFilesystemAsync(file, volumeSize, options, ct);
        }
        else if (status == PartitionTableError.None)
        {
            throw new PartitionTableException(
                PartitionTableError.Unsupported,
                "The volume starts with a bare filesystem; copy it at PartitionPlan.DestinationOffset so a table fits in front.");
        }
        else
        {
            throw new PartitionTableException(status, "The volume's partition table is unusable.");
        }

        LogPersonalized(logger, volumePath, result.Layout.Scheme, result.DiskIdentifierBefore ?? "(none)",
            result.DiskIdentifierAfter, result.LastPartitionGrown);
        return result;
    }

    /// <summary>
    /// Reads back block 0 and the table with every CRC checked (for a GPT both copies, which must agree, the backup
    /// at the last LBA). Throws <see cref="PartitionTableException"/> when anything is wrong.
    /// </summary>
    public async Task<VolumeLayout> VerifyAsync(string volumePath, CancellationToken ct)
    {
        using var file = File.OpenHandle(volumePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return await ReadVerifiedLayoutAsync(file, RandomAccess.GetLength(file), ct);
    }

    /// <summary>
    /// The volume's table as it stands, without the backup checks of <see cref="VerifyAsync"/> (a donor's GPT copied
    /// into a larger volume has its backup in the middle until it is personalised); null for a bare filesystem.
    /// </summary>
    public async Task<VolumeLayout?> ReadLayoutAsync(string volumePath, CancellationToken ct)
    {
        using var file = File.OpenHandle(volumePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var size = RandomAccess.GetLength(file);
        var layout = Detect(await ReadAsync(file, 0, (int)Math.Min(PartitionTableReader.HeadBytes, size), ct), size, "volume");
        return layout.Scheme == PartitionScheme.BareFilesystem ? null : ToVolumeLayout(layout);
    }

    private static async Task<VolumeLayout> ReadVerifiedLayoutAsync(SafeFileHandle file, long size, CancellationToken ct)
    {
        var head = await ReadAsync(file, 0, (int)Math.Min(PartitionTableReader.HeadBytes, size), ct);
        var layout = Detect(head, size, "volume");
        if (layout.Scheme == PartitionScheme.BareFilesystem)
        {
            throw new PartitionTableException(PartitionTableError.NotRecognised, "The volume has no partition table.");
        }

        if (layout.Scheme == PartitionScheme.Gpt)
        {
            await VerifyGptBackupAsync(file, layout, size, ct);
        }

        return ToVolumeLayout(layout);
    }

    private static PartitionLayout Detect(byte[] head, long size, string what)
    {
        var status = new PartitionTableReader(head, size).TryRead(out var layout);
        return status == PartitionTableError.None
            ? layout!
            : throw new PartitionTableException(status, $"The {what}'s block 0 and partition table were rejected.");
    }

    internal static VolumeLayout ToVolumeLayout(PartitionLayout layout)
    {
        if (layout.Gpt is { } gpt && layout.Scheme == PartitionScheme.Gpt)
        {
            var parts = gpt.Entries
                .Select(e => new PartitionInfo(e.Index + 1, e.FirstLba, e.LastLba, e.TypeGuid.ToString("D").ToUpperInvariant(), e.UniqueGuid, (e.Attributes & 4) != 0))
                .ToList();
            return new VolumeLayout(PartitionScheme.Gpt, gpt.SectorSize, gpt.Header.DiskGuid.ToString("D").ToUpperInvariant(), parts);
        }

        var mbr = layout.Mbr!;
        var primaries = mbr.Used
            .Select(e => new PartitionInfo(e.Slot + 1, e.FirstLba, e.EndLba - 1, e.Type.ToString("x2"), null, e.BootIndicator == 0x80))
            .ToList();
        return new VolumeLayout(PartitionScheme.Mbr, MbrLayout.SectorSize, FormatMbrId(mbr.DiskSignature), primaries);
    }

    internal static string FormatMbrId(uint signature) => $"0x{signature:x8}";

    private static async Task<byte[]> ReadAsync(SafeFileHandle file, long offset, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        var done = 0;
        while (done < count)
        {
            var n = await RandomAccess.ReadAsync(file, buffer.AsMemory(done), offset + done, ct);
            if (n == 0)
            {
                throw new PartitionTableException(PartitionTableError.Truncated, $"The file ends before byte {offset + count}.");
            }

            done += n;
        }

        return buffer;
    }

    private static async Task WriteAsync(SafeFileHandle file, long offset, byte[] data, CancellationToken ct) =>
        await RandomAccess.WriteAsync(file, data, offset, ct);

    private static void Flush(SafeFileHandle file) => LinuxFile.DataSync(file);

    [LoggerMessage(EventId = StorageEventIds.PartitionPersonalized, Level = LogLevel.Information, Message = "Personalised {Volume}: {Scheme}, identifier {Before} -> {After}, last partition grown: {Grown}")]
    private static partial void LogPersonalized(ILogger logger, string volume, PartitionScheme scheme, string before, string after, bool grown);

    [LoggerMessage(EventId = StorageEventIds.PartitionExtendedNotGrown, Level = LogLevel.Warning, Message = "Not growing the volume's last partition: it is an extended partition (slot {Slot})")]
    private static partial void LogExtendedNotGrown(ILogger logger, int slot);
}
