namespace BladeProvisioner.Core.Model;

/// <summary>
/// One line of a blade's timeline or of the audit log: when, who or what, what kind, details.
/// Kinds are dotted, module first: <c>dhcp.ack</c>, <c>tftp.transfer</c>, <c>blade.state</c>, <c>job.succeeded</c>.
/// </summary>
public sealed class Event
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }

    /// <summary>A user name, or the module that acted (<c>dhcp</c>, <c>tftp</c>, <c>boot</c>, <c>jobs</c>).</summary>
    public required string Actor { get; set; }

    public required string Kind { get; set; }
    public required string Summary { get; set; }

    /// <summary>Structured details as JSON. Never holds a secret.</summary>
    public string? Details { get; set; }

    public long? BladeId { get; set; }
    public long? JobId { get; set; }
    public long? DonorImageId { get; set; }
    public long? BootVolumeId { get; set; }
}
