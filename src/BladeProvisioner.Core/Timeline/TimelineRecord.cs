using System.Net;

namespace BladeProvisioner.Core.Timeline;

/// <summary>
/// Something that happened to a blade, as a protocol module saw it. The blade is named by id, by boot MAC, or by
/// the IP address it holds a lease on (TFTP and HTTP see only addresses); the timeline writer resolves it.
/// <see cref="Details"/> is serialised to JSON and must never hold a secret.
/// </summary>
public sealed record TimelineRecord(string Actor, string Kind, string Summary)
{
    public DateTimeOffset? At { get; init; }
    public long? BladeId { get; init; }
    public string? Mac { get; init; }
    public IPAddress? Address { get; init; }
    public long? JobId { get; init; }
    public long? DonorImageId { get; init; }
    public long? BootVolumeId { get; init; }
    public IReadOnlyDictionary<string, object?>? Details { get; init; }
}
