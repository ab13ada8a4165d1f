namespace BladeProvisioner.Core.Model;

/// <summary>
/// A blade's iSCSI session as one appliance node saw it on its target service: recorded once when it first appears,
/// closed when it is gone. The identity is what the target service reports (I_T nexus id, initiator, address) on one
/// node's target: nexus ids are per target service, so two nodes never share a row.
/// </summary>
public sealed class IscsiSession
{
    public long Id { get; set; }

    /// <summary>The node whose target service holds the session (<c>Appliance:NodeName</c>).</summary>
    public required string Node { get; set; }

    public required string TargetIqn { get; set; }

    /// <summary>The target service's session id (tgt's I_T nexus).</summary>
    public required string NexusId { get; set; }

    public required string InitiatorIqn { get; set; }

    /// <summary>The initiator's address as the target service reports it; empty when it reports none.</summary>
    public required string Address { get; set; }

    public long BladeId { get; set; }
    public long? BootVolumeId { get; set; }
    public DateTimeOffset LoggedInAt { get; set; }

    /// <summary>When the node saw it gone; null while it is open.</summary>
    public DateTimeOffset? LoggedOutAt { get; set; }
}
