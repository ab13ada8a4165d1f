namespace BladeProvisioner.Appliance.Tests;

// The API's JSON as a client reads it.
internal sealed record JobDto(long Id, string Kind, string State, long ProgressDone, long ProgressTotal, int Attempts, string? Error, string? Node)
{
    public string? ErrorCode { get; init; }
}

internal sealed record ImageDto(long Id, string Name, int Version, string State, string? Sha256, long VirtualSize, long AllocatedSize);

internal sealed record ImportStartedDto(ImageDto Image, JobDto Job);

internal sealed record EventDto(long Id, string Kind, string Summary, long? JobId, long? BladeId, string Actor);

internal sealed record BladeDto(long Id, string BootMac, string? Hostname, string? InitiatorIqn, string State, long? AssignedImageId, bool HasBmcPassword)
{
    public BladeBootDto? LastBoot { get; init; }
}

internal sealed record BladeBootDto(
    DateTimeOffset? StartedAt, string? StartedBy, DateTimeOffset? SanbootAt, DateTimeOffset? IscsiLoginAt, string? IscsiLoginAddress,
    string? IscsiLoginInitiator, DateTimeOffset? IscsiLogoutAt, double? SanbootAfterSeconds, double? IscsiLoginAfterSeconds)
{
    public DateTimeOffset? OsUpAt { get; init; }

    public double? OsUpAfterSeconds { get; init; }
}

internal sealed record ProblemDto(int Status, string Code, string Detail);

internal sealed record VolumeDto(long Id, long BladeId, string BackingPath, long SizeBytes, string TargetIqn, int Lun, string ScsiSerial, string Wwn, string ChapUser, string State)
{
    public bool MutualChap { get; init; }
}
