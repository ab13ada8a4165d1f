using System.Diagnostics;
using System.Diagnostics.Metrics;
using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Jobs;

/// <summary>
/// The Jobs module's meter and activity source (<c>BladeProvisioner.Jobs</c>): one trace span per run of a job row,
/// runs finished by kind and state, and how long a run took.
/// </summary>
internal sealed class JobsTelemetry : IDisposable
{
    public const string Name = "BladeProvisioner.Jobs";

    public static readonly ActivitySource Source = new(Name);

    private readonly Meter _meter;
    private readonly Counter<long> _finished;
    private readonly Histogram<double> _duration;

    public JobsTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        _finished = _meter.CreateCounter<long>("bp.jobs.finished", description: "Job runs that ended, by kind and state");
        _duration = _meter.CreateHistogram("bp.jobs.run.duration", unit: "s", description: "Time a job run took, by kind and state",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 3600] });
    }

    public static Activity? StartRun(long jobId, string kind, int attempt, bool recovering)
    {
        var activity = Source.StartActivity($"job {kind}", ActivityKind.Internal);
        activity?.SetTag("bp.job.id", jobId);
        activity?.SetTag("bp.job.kind", kind);
        activity?.SetTag("bp.job.attempt", attempt);
        activity?.SetTag("bp.job.recovering", recovering);
        return activity;
    }

    public void Finished(string kind, JobState state, TimeSpan elapsed)
    {
        var tags = new TagList { { "kind", kind }, { "state", state.ToString() } };
        _finished.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
    }

    public void Dispose() => _meter.Dispose();
}
