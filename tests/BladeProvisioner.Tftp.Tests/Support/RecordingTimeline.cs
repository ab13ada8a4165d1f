using BladeProvisioner.Core.Timeline;

namespace BladeProvisioner.Tftp.Tests.Support;

/// <summary>Keeps every record and lets a test await the next one of a kind.</summary>
public sealed class RecordingTimeline : ITimeline
{
    private readonly Lock _lock = new();
    private readonly List<TimelineRecord> _records = [];
    private readonly List<(Func<TimelineRecord, bool> Match, TaskCompletionSource<TimelineRecord> Waiter)> _waiters = [];

    public IReadOnlyList<TimelineRecord> Records
    {
        get
        {
            lock (_lock)
            {
                return [.. _records];
            }
        }
    }

    public void Record(TimelineRecord record)
    {
        lock (_lock)
        {
            _records.Add(record);
            foreach (var w in _waiters.Where(w => w.Match(record)).ToList())
            {
                w.Waiter.TrySetResult(record);
                _waiters.Remove(w);
            }
        }
    }

    public Task<TimelineRecord> WaitForAsync(Func<TimelineRecord, bool> match, TimeSpan timeout)
    {
        lock (_lock)
        {
            var existing = _records.FirstOrDefault(match);
            if (existing is not null)
            {
                return Task.FromResult(existing);
            }

            var tcs = new TaskCompletionSource<TimelineRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, tcs));
            return tcs.Task.WaitAsync(timeout, TestContext.Current.CancellationToken);
        }
    }

    public static object? Detail(TimelineRecord record, string key) =>
        record.Details is not null && record.Details.TryGetValue(key, out var v) ? v : null;
}
