using System.IO.Hashing;
using BladeProvisioner.Storage.Partitioning.Gpt;
using Microsoft.Win32.SafeHandles;

namespace BladeProvisioner.Storage.Partitioning;

public sealed partial class VolumePartitioner
{
    // What each derived GUID is for; a bare filesystem's single partition is entry 0, as on a later run.
    private const string DiskGuidPurpose = "gpt-disk";

    private static string PartitionGuidPurpose(int index) => $"gpt-partition-{index}";

    private static async Task<PersonalizeResult> PersonalizeGptAsync(
        SafeFileHandle file, byte[] head, PartitionLayout layout, long volumeSize, PersonalizeOptions options, CancellationToken ct)
    {
        var gpt = layout.Gpt!;
        var ss = gpt.SectorSize;
        var h = gpt.Header;
        var n = volumeSize / ss;
        var newBackupLba = n - 1;
        var newBackupEntriesLba = newBackupLba - h.EntriesSectors(ss);
        var newLastUsable = newBackupEntriesLba - 1;
        if (newLastUsable < h.LastUsableLba)
        {
            throw new PartitionTableException(PartitionTableError.VolumeTooSmall, "The volume is smaller than the donor's GPT layout.");
        }

        var ids = IdentifiersFor(options);
        var entries = head.AsSpan((int)(h.EntriesLba * ss), h.EntriesByteLength).ToArray();
        foreach (var e in gpt.Entries)
        {
            if (options.NewIdentifiers)
            {
                ids.Guid(PartitionGuidPurpose(e.Index)).TryWriteBytes(entries.AsSpan((e.Index * (int)h.EntrySize) + GptLayout.EntryUniqueGuidOffset, 16));
            }
        }

        var grown = false;
        if (options.GrowLastPartition && gpt.Entries.Count > 0 && gpt.Entries[^1].LastLba < newLastUsable)
        {
            // Entries are sorted by first LBA and do not overlap, so the last one ends last.
            var at = (gpt.Entries[^1].Index * (int)h.EntrySize) + GptLayout.EntryLastLbaOffset;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(entries.AsSpan(at, 8), (ulong)newLastUsable);
            grown = true;
        }

        var primary = h with
        {
            BackupLba = newBackupLba,
            LastUsableLba = newLastUsable,
            DiskGuid = options.NewIdentifiers ? ids.Guid(DiskGuidPurpose) : h.DiskGuid,
            EntriesCrc = Crc32.HashToUInt32(entries),
        };
        var backup = primary with { CurrentLba = newBackupLba, BackupLba = 1, EntriesLba = newBackupEntriesLba };
        // The donor's backup header now sits inside the grown partition or free space: a stale "EFI PART" there would
        // confuse recovery tools. It is cleared with the new backup, before the primary points away from it.
        var staleBackupLba = h.BackupLba < newBackupEntriesLba ? h.BackupLba : (long?)null;
        await WriteGptAsync(file, ss, primary, backup, entries, staleBackupLba, ct);

        var mbr = UpdateProtectiveMbr(head, layout.Mbr, n, h.BackupLba, options.NewIdentifiers ? ids : null);
        await WriteAsync(file, 0, mbr, ct);
        Flush(file);
        var after = await ReadVerifiedLayoutAsync(file, volumeSize, ct);
        return new PersonalizeResult(PartitionScheme.Gpt, h.DiskGuid.ToString("D").ToUpperInvariant(), after, grown);
    }

    /// <summary>
    /// Writes the backup copy first and makes it durable, then the primary: an interruption leaves the primary either
    /// old-and-valid or new-and-valid, so running personalisation again always starts from a readable table.
    /// </summary>
    private static async Task WriteGptAsync(
        SafeFileHandle file, int ss, GptHeader primary, GptHeader backup, byte[] entries, long? staleBackupLba, CancellationToken ct)
    {
        var sector = new byte[ss];
        await WriteAsync(file, backup.EntriesLba * ss, entries, ct);
        GptLayout.WriteHeader(sector, backup);
        await WriteAsync(file, backup.CurrentLba * ss, sector, ct);
        if (staleBackupLba is { } stale)
        {
            await WriteAsync(file, stale * ss, new byte[ss], ct);
        }

        Flush(file);
        await WriteAsync(file, primary.EntriesLba * ss, entries, ct);
        GptLayout.WriteHeader(sector, primary);
        await WriteAsync(file, primary.CurrentLba * ss, sector, ct);
    }

    /// <summary>A fresh GPT with 128 entries and one partition from the plan's offset to the last usable LBA.</summary>
    private static async Task WriteSinglePartitionGptAsync(
        SafeFileHandle file, long volumeSize, long offset, Guid type, DiskIdentifiers ids, CancellationToken ct)
    {
        const int ss = 512;
        var n = volumeSize / ss;
        var entriesSectors = GptLayout.DefaultEntryCount * GptLayout.DefaultEntrySize / ss;
        var entries = new byte[GptLayout.DefaultEntryCount * GptLayout.DefaultEntrySize];
        var lastUsable = n - 2 - entriesSectors;
        GptLayout.WriteEntry(entries.AsSpan(0, GptLayout.DefaultEntrySize), type, ids.Guid(PartitionGuidPurpose(0)), offset / ss, lastUsable, "blade");
        var primary = new GptHeader(
            GptLayout.Revision1, GptLayout.MinHeaderSize, 1, n - 1, 2 + entriesSectors, lastUsable, ids.Guid(DiskGuidPurpose),
            2, GptLayout.DefaultEntryCount, GptLayout.DefaultEntrySize, Crc32.HashToUInt32(entries));
        var backup = primary with { CurrentLba = n - 1, BackupLba = 1, EntriesLba = n - 1 - entriesSectors };
        await WriteGptAsync(file, ss, primary, backup, entries, staleBackupLba: null, ct);
        await WriteAsync(file, 0, UpdateProtectiveMbr(new byte[ss], null, n, 0, newIdentifiers: null), ct);
        Flush(file);
    }

    private static async Task VerifyGptBackupAsync(SafeFileHandle file, PartitionLayout layout, long size, CancellationToken ct)
    {
        var gpt = layout.Gpt!;
        var ss = gpt.SectorSize;
        var h = gpt.Header;
        var n = size / ss;
        if (layout.Mbr is not { HasProtectiveEntry: true })
        {
            throw new PartitionTableException(PartitionTableError.BadSignature, "The GPT has no protective MBR in front of it.");
        }

        if (h.BackupLba != n - 1)
        {
            throw new PartitionTableException(PartitionTableError.BadHeaderField, $"The backup GPT header is at LBA {h.BackupLba}, not the last LBA {n - 1}.");
        }

        var sector = await ReadAsync(file, h.BackupLba * ss, ss, ct);
        var status = new GptReader(sector, ss).TryReadHeader(n - 1, n, out var b);
        if (status != PartitionTableError.None)
        {
            throw new PartitionTableException(status, "The backup GPT header was rejected.");
        }

        if (b!.DiskGuid != h.DiskGuid || b.EntriesCrc != h.EntriesCrc || b.FirstUsableLba != h.FirstUsableLba
            || b.LastUsableLba != h.LastUsableLba || b.BackupLba != 1 || b.EntryCount != h.EntryCount || b.EntrySize != h.EntrySize)
        {
            throw new PartitionTableException(PartitionTableError.BadHeaderField, "The backup GPT header disagrees with the primary.");
        }

        var entries = await ReadAsync(file, b.EntriesLba * ss, b.EntriesByteLength, ct);
        status = GptReader.TryReadEntries(entries, b, out _);
        if (status != PartitionTableError.None)
        {
            throw new PartitionTableException(status, "The backup GPT entry array was rejected.");
        }
    }
}
