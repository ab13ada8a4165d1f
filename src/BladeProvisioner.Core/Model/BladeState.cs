namespace BladeProvisioner.Core.Model;

/// <summary>Where a blade stands in its provisioning life. Transitions live in <see cref="Lifecycle.BladeStateMachine"/>.</summary>
public enum BladeState
{
    Discovered,
    Provisioning,
    Provisioned,
    Active,
    Failed,
    Decommissioning,
}
