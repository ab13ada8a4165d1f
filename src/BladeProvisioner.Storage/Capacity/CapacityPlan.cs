namespace BladeProvisioner.Storage.Capacity;

/// <summary>
/// The accounting, with no I/O: roles are grouped by the filesystem (device) they live on, each filesystem's reserve is
/// the sum of its roles' reserves, and new work is admitted only if every filesystem it writes to keeps that reserve
/// after the work already admitted and the new work itself have written what they will.
/// </summary>
public static class CapacityPlan
{
    /// <summary>One entry per filesystem, in the order its first role was given.</summary>
    public static IReadOnlyList<FilesystemCapacity> Group(
        IEnumerable<(FilesystemRole Role, string Path, FilesystemSpace Space)> roles,
        CapacityOptions options,
        IReadOnlyDictionary<FilesystemRole, long>? committed = null)
    {
        ArgumentNullException.ThrowIfNull(roles);
        ArgumentNullException.ThrowIfNull(options);
        return
        [
            .. roles
                .GroupBy(r => r.Space.Device)
                .Select(g =>
                {
                    var first = g.First();
                    var distinct = g.Select(r => r.Role).Distinct().ToList();
                    var reserve = distinct.Sum(r => options.For(r).For(first.Space.CapacityBytes));
                    var work = distinct.Sum(r => committed is not null && committed.TryGetValue(r, out var c) ? Math.Max(0, c) : 0);
                    return new FilesystemCapacity(distinct, first.Path, g.Key, first.Space.CapacityBytes, first.Space.FreeBytes, reserve, work);
                }),
        ];
    }

    /// <summary>The first filesystem the claims would push into its reserve, with the bytes claimed there; null: admitted.</summary>
    public static (FilesystemCapacity Filesystem, long ClaimedBytes)? FirstShortfall(IReadOnlyList<FilesystemCapacity> filesystems, IEnumerable<SpaceClaim> claims)
    {
        ArgumentNullException.ThrowIfNull(filesystems);
        ArgumentNullException.ThrowIfNull(claims);
        var byFilesystem = new Dictionary<FilesystemCapacity, long>();
        foreach (var claim in claims)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(claim.Bytes);
            var fs = filesystems.FirstOrDefault(f => f.Holds(claim.Role));
            if (fs is not null)
            {
                byFilesystem[fs] = byFilesystem.GetValueOrDefault(fs) + claim.Bytes;
            }
        }

        foreach (var fs in filesystems)
        {
            if (byFilesystem.TryGetValue(fs, out var claimed) && claimed > fs.AvailableForNewWork)
            {
                return (fs, claimed);
            }
        }

        return null;
    }
}
