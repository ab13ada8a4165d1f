using System.Text;
using System.Text.Json;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Storage.Cloning;
using BladeProvisioner.Storage.Identity;
using BladeProvisioner.Storage.Images.Initramfs;
using BladeProvisioner.Storage.Partitioning;
using BladeProvisioner.Storage.Partitioning.Gpt;

namespace BladeProvisioner.Storage.Images;

/// <summary>
/// Checks a raw image before it is offered to blades: a readable partition table, a boot loader for the declared boot
/// mode (MBR boot code; <c>\EFI\BOOT\BOOTX64.EFI</c> on an EFI system partition, or on a FAT partition not typed as
/// one, as iPXE's sanboot finds it; listed with mtools' <c>mdir</c>), and what a Linux donor carries
/// (<see cref="LinuxBootInspector"/>: root filesystem, kernel, each initramfs read archive by archive, the kernel command
/// line, partition references, cloud-init). Only when no initramfs can be read does it fall back to a hint of iSCSI/iBFT
/// support: the strings <c>iscsistart</c> / <c>iscsi_ibft</c> in the first bytes of a partition. Never throws for a bad
/// image: every problem is a finding.
/// </summary>
public sealed class ImagePreflight(IProcessRunner runner)
{
    private readonly InitramfsLimits _limits = new();

    internal ImagePreflight(IProcessRunner runner, InitramfsLimits limits)
        : this(runner) => _limits = limits;

    /// <summary>How much of each partition the iSCSI hint search reads.</summary>
    public const long ScanBytesPerPartition = 512L << 20;

    private const int BootCodeBytes = 440;
    private const byte MbrEspType = 0xEF;
    private static readonly byte[][] IscsiMarkers = [Encoding.ASCII.GetBytes("iscsistart"), Encoding.ASCII.GetBytes("iscsi_ibft")];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Region(int Number, long Offset, long Length, bool IsEsp);

    public static string Serialize(IReadOnlyList<PreflightFinding> findings) => JsonSerializer.Serialize(findings, Json);

    public static IReadOnlyList<PreflightFinding> Deserialize(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<List<PreflightFinding>>(json, Json) ?? [];

    public async Task<IReadOnlyList<PreflightFinding>> CheckAsync(string path, BootMode bootMode, CancellationToken cancellationToken)
    {
        var findings = new List<PreflightFinding>();
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var size = RandomAccess.GetLength(file);
        var head = new byte[(int)Math.Min(PartitionTableReader.HeadBytes, size)];
        var read = await RandomAccess.ReadAsync(file, head, 0, cancellationToken);

        var regions = ReadRegions(head.AsSpan(0, read), size, findings);
        if (bootMode is BootMode.Bios or BootMode.Both)
        {
            var hasCode = read >= BootCodeBytes && head.AsSpan(0, BootCodeBytes).ContainsAnyExcept((byte)0);
            findings.Add(hasCode
                ? new(PreflightFinding.Ok, "bios-boot-code", "MBR boot code present.")
                : new(PreflightFinding.Error, "bios-boot-code", "No MBR boot code: the first 440 bytes of sector 0 are zero, so a BIOS blade cannot boot it."));
        }

        if (bootMode is BootMode.Uefi or BootMode.Both)
        {
            findings.Add(await CheckEspAsync(path, file, regions, cancellationToken));
        }

        var scanned = regions.Count > 0 ? regions : [new Region(0, 0, size, false)];
        bool structured;
        try
        {
            structured = await new LinuxBootInspector(runner, _limits).InspectAsync(path, [.. scanned.Select(r => (r.Number, r.Offset, r.Length))], findings, cancellationToken);
        }
        catch (Exception ex) when (ex is ProcessFailedException or IOException or IdentityException)
        {
            findings.Add(new(PreflightFinding.Warning, "linux-root", $"The filesystems could not be inspected: {ex.Message}"));
            structured = false;
        }

        if (!structured)
        {
            findings.Add(await ScanForIscsiAsync(file, scanned, cancellationToken));
        }

        return findings;
    }

    private static List<Region> ReadRegions(ReadOnlySpan<byte> head, long size, List<PreflightFinding> findings)
    {
        var regions = new List<Region>();
        var status = new PartitionTableReader(head, size).TryRead(out var layout);
        if (status != PartitionTableError.None || layout is null)
        {
            findings.Add(new(PreflightFinding.Warning, "partition-table", $"Partition table not readable ({status})."));
            return regions;
        }

        switch (layout.Scheme)
        {
            case PartitionScheme.Gpt:
                foreach (var e in layout.Gpt!.Entries)
                {
                    regions.Add(new Region(e.Index + 1, e.FirstLba * layout.SectorSize, (e.LastLba - e.FirstLba + 1) * layout.SectorSize, e.TypeGuid == GptPartitionTypes.EfiSystem));
                }

                break;
            case PartitionScheme.Mbr:
                foreach (var e in layout.Mbr!.Used.Where(e => !e.IsExtended))
                {
                    regions.Add(new Region(e.Slot + 1, (long)e.FirstLba * 512, (long)e.SectorCount * 512, e.Type == MbrEspType));
                }

                break;
            default:
                regions.Add(new Region(0, 0, size, layout.Filesystem == FilesystemKind.Fat));
                break;
        }

        findings.Add(new(PreflightFinding.Ok, "partition-table", $"{layout.Scheme} with {regions.Count} partition(s)."));
        return regions;
    }

    private async Task<PreflightFinding> CheckEspAsync(string path, Microsoft.Win32.SafeHandles.SafeFileHandle file, List<Region> regions, CancellationToken ct)
    {
        var esps = regions.Where(r => r.IsEsp).ToList();
        foreach (var esp in esps)
        {
            var (found, problem) = await HasLoaderAsync(path, esp, ct);
            if (problem is not null)
            {
                return problem;
            }

            if (found)
            {
                return new(PreflightFinding.Ok, "uefi-loader", $"\\EFI\\BOOT\\BOOTX64.EFI present on partition {esp.Number}.");
            }
        }

        // iPXE's sanboot looks for the removable-media loader on every FAT filesystem of the SAN disk, typed as an ESP
        // or not (the test donor's boot partition is FAT32 type 0x0c and boots UEFI blades).
        foreach (var fat in regions.Where(r => !r.IsEsp))
        {
            var head = new byte[FilesystemProbe.BytesNeeded];
            var read = await RandomAccess.ReadAsync(file, head, fat.Offset, ct);
            if (FilesystemProbe.Detect(head.AsSpan(0, read)) != FilesystemKind.Fat || (await HasLoaderAsync(path, fat, ct)).Found is false)
            {
                continue;
            }

            return new(PreflightFinding.Ok, "uefi-loader", $"\\EFI\\BOOT\\BOOTX64.EFI present on partition {fat.Number} (FAT, not typed as an EFI system partition: iPXE's sanboot starts it from any FAT partition).");
        }

        return esps.Count == 0
            ? new(PreflightFinding.Error, "uefi-loader", "No EFI system partition: a UEFI blade cannot boot it.")
            : new(PreflightFinding.Error, "uefi-loader", "No \\EFI\\BOOT\\BOOTX64.EFI on the EFI system partition: a UEFI blade cannot boot it.");
    }

    private async Task<(bool Found, PreflightFinding? Problem)> HasLoaderAsync(string path, Region region, CancellationToken ct)
    {
        var spec = new ProcessSpec("mdir", ["-b", "-i", $"{path}@@{region.Offset}", "::/EFI/BOOT"])
        {
            Timeout = TimeSpan.FromSeconds(30),
            Environment = new Dictionary<string, string> { ["MTOOLS_SKIP_CHECK"] = "1" },
            AcceptedExitCodes = new HashSet<int> { 0, 1 },
        };
        try
        {
            var result = await runner.RunAsync(spec, ct);
            return (result.StandardOutput.Contains("/BOOTX64.EFI", StringComparison.OrdinalIgnoreCase), null);
        }
        catch (ProcessFailedException ex)
        {
            return (false, region.IsEsp ? new(PreflightFinding.Error, "uefi-loader", $"Could not list partition {region.Number}: {ex.Message}") : null);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (false, new(PreflightFinding.Warning, "uefi-loader", $"Could not run mdir (apt: mtools): {ex.Message}"));
        }
    }

    private static async Task<PreflightFinding> ScanForIscsiAsync(Microsoft.Win32.SafeHandles.SafeFileHandle file, List<Region> regions, CancellationToken ct)
    {
        const int chunk = 1 << 20;
        var overlap = IscsiMarkers.Max(m => m.Length) - 1;
        var buffer = new byte[chunk + overlap];
        var size = RandomAccess.GetLength(file);
        foreach (var region in regions)
        {
            var end = Math.Min(size, region.Offset + Math.Min(region.Length, ScanBytesPerPartition));
            var offset = LinuxFile.NextData(file, region.Offset, end);
            while (offset < end)
            {
                var hole = Math.Min(end, LinuxFile.NextHole(file, offset, end));
                for (var at = offset; at < hole; at += chunk)
                {
                    var want = (int)Math.Min(chunk + overlap, end - at);
                    var n = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, want), at, ct);
                    if (n <= 0)
                    {
                        break;
                    }

                    foreach (var marker in IscsiMarkers)
                    {
                        if (buffer.AsSpan(0, n).IndexOf(marker) >= 0)
                        {
                            return new(PreflightFinding.Ok, "iscsi-boot", $"Found '{Encoding.ASCII.GetString(marker)}' in partition {region.Number} (byte scan: no initramfs could be read).");
                        }
                    }
                }

                offset = hole < end ? LinuxFile.NextData(file, hole, end) : end;
            }
        }

        return new(PreflightFinding.Warning, "iscsi-boot", "No sign of iSCSI boot support (iscsistart / iscsi_ibft) (byte scan: no initramfs could be read).");
    }
}
