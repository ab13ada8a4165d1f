using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Storage.Capacity;

/// <summary>
/// Section <c>Storage:Capacity</c>: the free space each filesystem role keeps for what already runs (blades writing
/// to thin or reflinked volumes, PostgreSQL's WAL and tables). New clones, imports, captures and uploads that would
/// take it are refused (507 <c>INSUFFICIENT_STORAGE</c>). Roles sharing one filesystem add their reserves up.
/// </summary>
public sealed class CapacityOptions
{
    public const string Section = "Storage:Capacity";

    public const long GiB = 1L << 30;

    /// <summary>What running blades may still write into their volumes: 10 % of the filesystem, at least 2 GiB.</summary>
    [Required]
    public ReserveOptions Volumes { get; set; } = new() { Bytes = 2 * GiB, Percent = 10 };

    [Required]
    public ReserveOptions Images { get; set; } = new() { Bytes = GiB / 2 };

    [Required]
    public ReserveOptions Uploads { get; set; } = new() { Bytes = GiB / 2 };

    /// <summary>PostgreSQL's room to grow (leases, jobs, timeline, WAL): 2 GiB.</summary>
    [Required]
    public ReserveOptions Database { get; set; } = new() { Bytes = 2 * GiB };

    /// <summary>
    /// Where the database's files are, for a PostgreSQL on this host that the appliance does not run itself (e.g.
    /// <c>/var/lib/postgresql</c>). Empty: the embedded cluster's directory; with a connection string and no
    /// directory, the database's space is not measured.
    /// </summary>
    public string? DatabaseDirectory { get; set; }

    public ReserveOptions For(FilesystemRole role) => role switch
    {
        FilesystemRole.Volumes => Volumes,
        FilesystemRole.Images => Images,
        FilesystemRole.Uploads => Uploads,
        _ => Database,
    };
}
