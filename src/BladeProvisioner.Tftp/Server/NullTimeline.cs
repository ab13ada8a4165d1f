using BladeProvisioner.Core.Timeline;

namespace BladeProvisioner.Tftp.Server;

/// <summary>Used when the host registers no timeline.</summary>
internal sealed class NullTimeline : ITimeline
{
    public static NullTimeline Instance { get; } = new();

    public void Record(TimelineRecord record)
    {
    }
}
