using System.Globalization;

namespace BladeProvisioner.Storage.Capacity;

/// <summary>
/// One filesystem and the roles on it. <see cref="ReserveBytes"/> is the sum of those roles' reserves (each role keeps
/// its own: the database's room is not the blades' room); <see cref="CommittedBytes"/> is what work already admitted
/// (clones and imports in progress) will still write. New work may take only <see cref="AvailableForNewWork"/>.
/// </summary>
public sealed record FilesystemCapacity(
    IReadOnlyList<FilesystemRole> Roles,
    string Path,
    ulong Device,
    long CapacityBytes,
    long FreeBytes,
    long ReserveBytes,
    long CommittedBytes)
{
    public long AvailableForNewWork => FreeBytes - ReserveBytes - CommittedBytes;

    /// <summary>Free space is inside the reserve: what runs is living on it, and no new work is admitted here.</summary>
    public bool Low => FreeBytes < ReserveBytes;

    public string RoleNames => string.Join('+', Roles.Select(r => r.ToString().ToLowerInvariant()));

    public bool Holds(FilesystemRole role) => Roles.Contains(role);

    /// <summary>"volumes+database (/srv/bp/volumes): 1.2 GiB free of 20 GiB, 2.0 GiB reserved, 0 B committed".</summary>
    public string Describe() =>
        $"{RoleNames} ({Path}): {Bytes(FreeBytes)} free of {Bytes(CapacityBytes)}, {Bytes(ReserveBytes)} reserved, {Bytes(CommittedBytes)} committed to work in progress";

    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = Math.Abs(bytes);
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        var sign = bytes < 0 ? "-" : string.Empty;
        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{sign}{value:F0} B")
            : string.Create(CultureInfo.InvariantCulture, $"{sign}{value:F1} {units[unit]}");
    }
}
