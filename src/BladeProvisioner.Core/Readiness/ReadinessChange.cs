namespace BladeProvisioner.Core.Readiness;

/// <summary>
/// A transition of <see cref="ApplianceReadiness.IsReady"/>: <paramref name="Cause"/> is the gate or dependency that
/// made it, <paramref name="Reason"/> why a dependency went down, and <paramref name="AfterStart"/> false only for
/// the first opening at start-up.
/// </summary>
public sealed record ReadinessChange(bool Ready, string Cause, string? Reason, bool AfterStart);
