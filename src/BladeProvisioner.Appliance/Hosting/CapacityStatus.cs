using BladeProvisioner.Storage.Capacity;

namespace BladeProvisioner.Appliance.Hosting;

/// <summary>
/// The <c>capacity</c> part of <c>/health/ready</c>: <c>ok</c> or <c>low</c>, what is low in words, and each
/// filesystem's figures (in detail on the management listener only; the blades' listener is told
/// only which roles are low). Measured with statvfs at each request; no database access.
/// </summary>
internal sealed record CapacityStatus(string Status, IReadOnlyList<string> Low, IReadOnlyList<CapacityStatus.Filesystem> Filesystems)
{
    public static CapacityStatus Of(StorageCapacity capacity, bool detailed)
    {
        IReadOnlyList<FilesystemCapacity> filesystems;
        try
        {
            filesystems = capacity.Measure();
        }
        catch (IOException ex)
        {
            return new CapacityStatus("unknown", [detailed ? ex.Message : "unmeasured"], []);
        }

        var low = filesystems.Where(f => f.Low).Select(f => detailed ? f.Describe() : f.RoleNames).ToList();
        if (!detailed)
        {
            return new CapacityStatus(low.Count > 0 ? "low" : "ok", low, []);
        }

        return new CapacityStatus(
            low.Count > 0 ? "low" : "ok",
            low,
            [.. filesystems.Select(f => new Filesystem([.. f.Roles.Select(r => r.ToString().ToLowerInvariant())], f.Path, f.CapacityBytes, f.FreeBytes, f.ReserveBytes, f.Low))]);
    }

    internal sealed record Filesystem(IReadOnlyList<string> Roles, string Path, long CapacityBytes, long FreeBytes, long ReserveBytes, bool Low);
}
