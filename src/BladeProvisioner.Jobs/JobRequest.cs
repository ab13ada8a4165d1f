namespace BladeProvisioner.Jobs;

/// <summary>What to run: a kind, its parameters (serialised to JSON), and what it concerns.</summary>
public sealed record JobRequest(string Kind, object Parameters)
{
    public long? BladeId { get; init; }
    public long? DonorImageId { get; init; }
    public long? BootVolumeId { get; init; }
    public string? CreatedBy { get; init; }
}
