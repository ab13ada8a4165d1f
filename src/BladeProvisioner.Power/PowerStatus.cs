namespace BladeProvisioner.Power;

/// <param name="State">On, off, or what the BMC could not tell.</param>
/// <param name="BootOverride">The one-time boot device the BMC reports (<c>pxe</c>, <c>Pxe</c>, …), if it says.</param>
public sealed record PowerStatus(PowerState State, string? BootOverride = null);
