namespace BladeProvisioner.Storage.Targets;

/// <summary>A logged-in initiator: for the sessions view (initiator, address, since).</summary>
/// <param name="Id">The target service's session id.</param>
/// <param name="InitiatorIqn">Who logged in.</param>
/// <param name="Addresses">The initiator's connection addresses.</param>
/// <param name="FirstSeen">When this appliance first saw the session (target services do not report login time).</param>
public sealed record LiveSession(string Id, string InitiatorIqn, IReadOnlyList<string> Addresses, DateTimeOffset FirstSeen);
