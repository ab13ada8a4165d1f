using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Jobs;

/// <summary>Section <c>Jobs</c>: durable background jobs on Hangfire with its PostgreSQL storage.</summary>
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

    /// <summary>
    /// A job whose node died (kill -9, power loss) is visible to every node again this long after that node's last
    /// refresh of its claim; a live worker refreshes every fifth of it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:05", "00:30:00")]
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often idle workers look at the queue and the schedule: a new job starts within this.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the recovery sweep looks for job rows that no engine job carries (1–59 s).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:00:59")]
    public TimeSpan RecoverySweepInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a job waiting for a free slot of its kind waits before it is tried again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan SlotRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often a running job checks the connection that holds its lock; when it has died, the execution stops
    /// (another may already own the row) and a new one resumes the job.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan LockCheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Progress is written to the job row at most this often (checkpoints are always written).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    public int CapFor(string kind) => KindConcurrency.TryGetValue(kind, out var n) && n > 0 ? n : DefaultKindConcurrency;
}
