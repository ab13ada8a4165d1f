using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Jobs;

/// <summary>Section <c>Jobs</c>: durable background jobs on the Quartz PostgreSQL job store.</summary>
public sealed class JobsOptions
{
    public const string Section = "Jobs";

    /// <summary>Jobs this node runs at once, all kinds together.</summary>
    [Range(1, 64)]
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>Cluster-wide cap per job kind, e.g. <c>"volume.clone": 2</c>. Kinds not listed use <see cref="DefaultKindConcurrency"/>.</summary>
    public Dictionary<string, int> KindConcurrency { get; set; } = new(StringComparer.Ordinal) { ["volume.clone"] = 2, ["image.import"] = 2 };

    [Range(1, 64)]
    public int DefaultKindConcurrency { get; set; } = 4;

    /// <summary>How often a node tells the cluster it is alive; a node silent for twice this is recovered by the others.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ClusterCheckinInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a job waiting for a free slot of its kind waits before it is tried again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan SlotRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Progress is written to the job row at most this often (checkpoints are always written).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    public int CapFor(string kind) => KindConcurrency.TryGetValue(kind, out var n) && n > 0 ? n : DefaultKindConcurrency;
}
