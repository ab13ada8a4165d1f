namespace BladeProvisioner.Storage.Targets.Sessions;

/// <summary>A session as one listing shows it: the identity the observer records once (target, nexus, initiator, address).</summary>
internal sealed record SeenSession(string TargetIqn, string NexusId, string InitiatorIqn, string Address, DateTimeOffset FirstSeen)
{
    public string Key => KeyOf(TargetIqn, NexusId, InitiatorIqn, Address);

    public static string KeyOf(string targetIqn, string nexusId, string initiatorIqn, string address) =>
        string.Join('\n', targetIqn, nexusId, initiatorIqn, address);
}
