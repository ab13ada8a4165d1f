namespace BladeProvisioner.Power;

public enum RestartMethod
{
    /// <summary>Warm reset (IPMI <c>power reset</c>, Redfish <c>ForceRestart</c>).</summary>
    Reset,

    /// <summary>Power off, then on (IPMI <c>power cycle</c>, Redfish <c>PowerCycle</c>).</summary>
    Cycle,
}
