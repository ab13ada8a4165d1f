using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Jobs;

/// <summary>Section <c>Timeline</c>: how long the timeline keeps events, swept by <see cref="RetentionSweep"/>.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Timeline";

    /// <summary>Events older than this are deleted (but see <see cref="KeepStateTransitions"/>).</summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>
    /// Keep <c>blade.state</c> events (who provisioned or decommissioned a blade, and when) whatever their age: they are
    /// the blade's audit trail, a handful per provisioning, and boot traffic cannot multiply them.
    /// </summary>
    public bool KeepStateTransitions { get; set; } = true;

    /// <summary>Rows per DELETE: each batch is its own short transaction.</summary>
    [Range(100, 100_000)]
    public int BatchSize { get; set; } = 5000;

    /// <summary>How often the sweep runs (a cron expression for the engine's recurring job).</summary>
    [Required]
    public string Schedule { get; set; } = "17 * * * *";
}
