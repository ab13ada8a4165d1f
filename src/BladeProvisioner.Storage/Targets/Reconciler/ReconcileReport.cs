namespace BladeProvisioner.Storage.Targets.Reconciler;

/// <summary>
/// What one reconcile pass found and did. <see cref="Missing"/> and <see cref="Changed"/> were repaired unless
/// listed in <see cref="Failed"/>; <see cref="Unknown"/> were left alone; <see cref="Removed"/> were unknown and removed.
/// </summary>
public sealed record ReconcileReport(
    IReadOnlyList<string> Missing,
    IReadOnlyList<TargetDriftItem> Changed,
    IReadOnlyList<string> Unknown,
    IReadOnlyList<string> Removed,
    IReadOnlyList<TargetDriftItem> Failed,
    int InSync,
    TimeSpan Elapsed)
{
    public bool HasDrift => Missing.Count > 0 || Changed.Count > 0 || Unknown.Count > 0 || Removed.Count > 0;

    public bool Succeeded => Failed.Count == 0;
}
