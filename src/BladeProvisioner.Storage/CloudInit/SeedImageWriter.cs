using System.Text;
using BladeProvisioner.Platform.Files;
using BladeProvisioner.Platform.Processes;

namespace BladeProvisioner.Storage.CloudInit;

/// <summary>
/// Writes a NoCloud seed as a small FAT image labelled <c>CIDATA</c> (cloud-init's NoCloud finds a filesystem by that
/// label), with mkfs.vfat and mtools' mcopy: nothing is mounted. The file is the appliance's only (0600), written to a
/// temporary name beside the target and renamed over it once complete and fsynced, so a rebuild never leaves a half seed.
/// </summary>
public sealed class SeedImageWriter(IProcessRunner runner)
{
    public const string MkfsVfat = "/usr/sbin/mkfs.vfat";
    public const string Mcopy = "/usr/bin/mcopy";

    /// <summary>2 MiB: the three files are at most a few hundred KiB; FAT12 with room to spare.</summary>
    public const long SizeBytes = 2L << 20;

    public async Task WriteAsync(string path, NoCloudSeed seed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(seed);
        var temp = path + ".tmp";
        var staging = Directory.CreateTempSubdirectory("bp-seed-");
        try
        {
            File.SetUnixFileMode(staging.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var files = new (string Name, string Text)[] { ("meta-data", seed.MetaData()), ("user-data", seed.UserData()), ("vendor-data", seed.VendorData()) };
            foreach (var (name, text) in files)
            {
                var staged = Path.Combine(staging.FullName, name);
                File.Create(staged, 4096, FileOptions.None).Dispose();
                File.SetUnixFileMode(staged, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                await File.WriteAllTextAsync(staged, text, new UTF8Encoding(false), ct);
            }

            File.Delete(temp);
            using (var f = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            {
                f.SetLength(SizeBytes);
            }

            await runner.RunAsync(new ProcessSpec(MkfsVfat, ["-n", "CIDATA", "-i", VolumeId(seed.InstanceId), temp]), ct);
            var copy = new List<string> { "-i", temp, "-o" };
            copy.AddRange(files.Select(f => Path.Combine(staging.FullName, f.Name)));
            copy.Add("::/");
            await runner.RunAsync(new ProcessSpec(Mcopy, copy) { Environment = new Dictionary<string, string> { ["MTOOLS_SKIP_CHECK"] = "1" } }, ct);
            Durable.FsyncFile(temp);
            Durable.Rename(temp, path);
        }
        finally
        {
            staging.Delete(recursive: true);
            File.Delete(temp);
        }
    }

    /// <summary>The FAT volume id (8 hex digits) from the instance id: the same seed gives the same bytes' identity.</summary>
    private static string VolumeId(string instanceId) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.ASCII.GetBytes(instanceId))[..4]);
}
