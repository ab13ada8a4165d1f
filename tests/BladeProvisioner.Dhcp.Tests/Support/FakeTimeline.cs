using System.Collections.Concurrent;
using BladeProvisioner.Core.Timeline;

namespace BladeProvisioner.Dhcp.Tests.Support;

internal sealed class FakeTimeline : ITimeline
{
    public ConcurrentQueue<TimelineRecord> Records { get; } = new();

    public void Record(TimelineRecord record) => Records.Enqueue(record);
}
