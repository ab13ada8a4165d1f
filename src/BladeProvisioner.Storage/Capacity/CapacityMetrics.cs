using System.Diagnostics.Metrics;

namespace BladeProvisioner.Storage.Capacity;

/// <summary>
/// Space per filesystem role on the module's meter, measured at scrape time with statvfs (no database access): a role
/// sharing a filesystem with another shows the same capacity and free bytes, and its own reserve. Each series names
/// its role and the directory that role writes to, so an alert says which path to free.
/// </summary>
internal sealed class CapacityMetrics
{
    private static readonly Meter StaticMeter = new("BladeProvisioner.Storage");

    public static readonly Counter<long> Refused =
        StaticMeter.CreateCounter<long>("bp.storage.admission.refused", description: "Clones, imports, captures and uploads refused for space, by filesystem roles.");

    public CapacityMetrics(IMeterFactory meters, StorageCapacity capacity, Microsoft.Extensions.Options.IOptions<CapacityOptions> options)
    {
        // The refusal counter is published with the gauges, not only once something is first refused.
        _ = Refused;
        var meter = meters.Create("BladeProvisioner.Storage");
        meter.CreateObservableGauge("bp.storage.capacity", () => PerRole(capacity, (fs, _) => fs.CapacityBytes), "By", "Size of the filesystem holding each role.");
        meter.CreateObservableGauge("bp.storage.free", () => PerRole(capacity, (fs, _) => fs.FreeBytes), "By", "Bytes free on the filesystem holding each role.");
        meter.CreateObservableGauge(
            "bp.storage.reserve", () => PerRole(capacity, (fs, role) => options.Value.For(role).For(fs.CapacityBytes)), "By", "Bytes each role keeps free on its filesystem.");
        meter.CreateObservableGauge("bp.storage.low", () => PerRole(capacity, (fs, _) => fs.Low ? 1 : 0), description: "1 when a role's filesystem is inside its reserve.");
    }

    private static IEnumerable<Measurement<long>> PerRole(StorageCapacity capacity, Func<FilesystemCapacity, FilesystemRole, long> value)
    {
        IReadOnlyList<FilesystemCapacity> filesystems;
        Dictionary<FilesystemRole, string> directories;
        try
        {
            directories = capacity.Locations().ToDictionary(l => l.Role, l => l.Path);
            filesystems = capacity.Measure();
        }
        catch (IOException)
        {
            return [];
        }

        return
        [
            .. filesystems.SelectMany(fs => fs.Roles.Select(role =>
                new Measurement<long>(
                    value(fs, role),
                    new KeyValuePair<string, object?>("role", role.ToString().ToLowerInvariant()),
                    new KeyValuePair<string, object?>("directory", directories.GetValueOrDefault(role, fs.Path))))),
        ];
    }
}
