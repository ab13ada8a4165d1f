using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Data;

/// <summary>
/// Section <c>Database</c>. With no connection string (<c>ConnectionStrings:Appliance</c>) the appliance runs a private
/// PostgreSQL cluster in its data directory; with one, it uses that server.
/// </summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>Directory of initdb/pg_ctl/postgres. Empty: the newest /usr/lib/postgresql/*/bin.</summary>
    public string? PostgresBinDirectory { get; set; }

    /// <summary>System user the embedded cluster runs as when the appliance runs as root (PostgreSQL refuses root).</summary>
    [Required]
    public string EmbeddedRunAsUser { get; set; } = "postgres";

    /// <summary>Stop the embedded cluster when the appliance stops.</summary>
    public bool StopEmbeddedOnExit { get; set; } = true;

    /// <summary>How long start-up waits for the database to accept connections.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(60);

    [Range(1, 1000)]
    public int MaxPoolSize { get; set; } = 50;
}
