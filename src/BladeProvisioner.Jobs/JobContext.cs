using System.Diagnostics;
using System.Text.Json;
using BladeProvisioner.Core.Timeline;

namespace BladeProvisioner.Jobs;

/// <summary>What a running job sees: its parameters, its last checkpoint, and where to report progress.</summary>
public sealed class JobContext
{
    private readonly JobRowStore _store;
    private readonly TimeSpan _progressInterval;
    private readonly CancellationTokenSource _userCancel;
    private readonly Stopwatch _sinceReport = Stopwatch.StartNew();
    private long _lastDone;

    internal JobContext(
        long jobId, string kind, string parameters, string? checkpoint, int attempt, bool recovering,
        long? bladeId, long? donorImageId, long? bootVolumeId,
        JobRowStore store, ITimeline timeline, TimeSpan progressInterval, CancellationTokenSource userCancel)
    {
        JobId = jobId;
        Kind = kind;
        ParametersJson = parameters;
        CheckpointJson = checkpoint;
        Attempt = attempt;
        Recovering = recovering;
        BladeId = bladeId;
        DonorImageId = donorImageId;
        BootVolumeId = bootVolumeId;
        Timeline = timeline;
        _store = store;
        _progressInterval = progressInterval;
        _userCancel = userCancel;
    }

    public long JobId { get; }
    public string Kind { get; }
    public string ParametersJson { get; }

    /// <summary>The checkpoint last written, or null on a first run.</summary>
    public string? CheckpointJson { get; private set; }

    /// <summary>1 on the first run; higher after a crash, a restart or a retry.</summary>
    public int Attempt { get; }

    /// <summary>The previous run of this job was interrupted (crash, kill, node failure).</summary>
    public bool Recovering { get; }

    /// <summary>The epoch of this execution's claim on the row (set when the row is marked Running).</summary>
    internal long Epoch { get; set; }

    public long? BladeId { get; }
    public long? DonorImageId { get; }
    public long? BootVolumeId { get; }
    public ITimeline Timeline { get; }

    public T Parameters<T>() =>
        JsonSerializer.Deserialize<T>(ParametersJson, JobJson.Options) ?? throw new InvalidOperationException($"Job {JobId} has no parameters.");

    public T? Checkpoint<T>()
        where T : class =>
        CheckpointJson is null ? null : JsonSerializer.Deserialize<T>(CheckpointJson, JobJson.Options);

    /// <summary>
    /// Call before a step that cannot be undone or that another execution must not repeat concurrently (exporting a
    /// volume, deleting one): throws <see cref="JobFencedException"/> when this execution was overtaken.
    /// </summary>
    public async Task EnsureOwnedAsync(CancellationToken cancellationToken)
    {
        if (!await _store.OwnsAsync(JobId, Epoch, cancellationToken))
        {
            throw new JobFencedException(JobId);
        }
    }

    /// <summary>
    /// Records progress. Written at most every progress interval unless a checkpoint is given (always written, since
    /// resuming depends on it). Throws <see cref="OperationCanceledException"/> when the user cancelled the job, and <see cref="JobFencedException"/>
    /// when another execution owns the row now.
    /// </summary>
    public async Task ReportAsync(long done, long total, object? checkpoint = null, CancellationToken cancellationToken = default)
    {
        if (checkpoint is null && _sinceReport.Elapsed < _progressInterval && done < total)
        {
            return;
        }

        var seconds = _sinceReport.Elapsed.TotalSeconds;
        var rate = seconds > 0 && done >= _lastDone ? (done - _lastDone) / seconds : 0;
        string? checkpointJson = checkpoint is null ? null : JsonSerializer.Serialize(checkpoint, JobJson.Options);
        var cancelRequested = await _store.ReportProgressAsync(JobId, Epoch, done, total, rate, checkpointJson, cancellationToken);
        if (checkpointJson is not null)
        {
            CheckpointJson = checkpointJson;
        }

        _lastDone = done;
        _sinceReport.Restart();
        if (cancelRequested)
        {
            await _userCancel.CancelAsync();
            _userCancel.Token.ThrowIfCancellationRequested();
        }
    }
}
