namespace BladeProvisioner.Core.Timeline;

/// <summary>
/// Where modules report what happened. <see cref="Record"/> never blocks and never throws: records are queued and
/// written in batches, so a DHCP or TFTP receive loop can call it on every exchange.
/// </summary>
public interface ITimeline
{
    void Record(TimelineRecord record);
}
