namespace BladeProvisioner.Core.Blades;

/// <summary>One timeline event that marks a boot stage, as <see cref="BladeBootReader"/> reads it.</summary>
/// <param name="At">When it happened.</param>
/// <param name="Kind">The event kind (<c>dhcp.ack</c>, <c>boot.sanboot</c>, <c>blade.iscsi-login</c>, …).</param>
/// <param name="Address">For a login: the initiator's address.</param>
/// <param name="Initiator">For a login: the initiator's name.</param>
/// <param name="Session">For a login or logout: the session's identity (node, target, nexus), to pair them.</param>
public sealed record BootStage(DateTimeOffset At, string Kind, string? Address = null, string? Initiator = null, string? Session = null);
