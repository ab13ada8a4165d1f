namespace BladeProvisioner.Storage.Targets.Reconciler;

/// <summary>One target and what differs (or what failed), in words an operator can act on.</summary>
public sealed record TargetDriftItem(string TargetIqn, IReadOnlyList<string> Differences);
