namespace BladeProvisioner.Core.Readiness;

/// <summary>
/// A precondition of readiness, declared by registering one at composition (<c>services.AddSingleton(new
/// ReadinessGate("targets"))</c>): <see cref="ApplianceReadiness"/> knows every gate before anything can report ready.
/// The module that owns the gate opens it through <see cref="ApplianceReadiness.Open"/>.
/// </summary>
public sealed record ReadinessGate(string Name);
