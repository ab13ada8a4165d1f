using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Appliance.Hosting.Readiness;

/// <summary><c>Readiness:</c> how the monitor watches the dependencies a running appliance can lose.</summary>
public sealed class ReadinessOptions
{
    public const string SectionName = "Readiness";

    /// <summary>Time between probes of each dependency.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A probe that has not answered in this time failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Consecutive failed probes that close readiness (one good probe reopens it).</summary>
    [Range(1, 100)]
    public int FailureThreshold { get; set; } = 3;
}
