using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Core.Lifecycle;

/// <summary>
/// The one place that says which blade state may follow which. Every transition yields an <see cref="Event"/>
/// for the blade's timeline; an illegal one throws <see cref="DomainException"/> with
/// <see cref="ErrorCodes.IllegalTransition"/> and leaves the blade untouched.
/// </summary>
public static class BladeStateMachine
{
    private static readonly Dictionary<BladeState, BladeState[]> Allowed = new()
    {
        // An image was chosen (menu, zero-touch or API).
        [BladeState.Discovered] = [BladeState.Provisioning],
        // The volume is exported; or the clone failed; or the operator gave up on it.
        [BladeState.Provisioning] = [BladeState.Provisioned, BladeState.Failed, BladeState.Decommissioning],
        // The blade booted from its LUN (sanboot served / iSCSI login seen).
        [BladeState.Provisioned] = [BladeState.Active, BladeState.Failed, BladeState.Decommissioning],
        // A running blade that stops booting fails; it is re-provisioned through decommissioning.
        [BladeState.Active] = [BladeState.Provisioned, BladeState.Failed, BladeState.Decommissioning],
        // Retry, or clean up.
        [BladeState.Failed] = [BladeState.Provisioning, BladeState.Decommissioning],
        // Everything removed: the blade sees the menu again. A failed cleanup is retried from Failed.
        [BladeState.Decommissioning] = [BladeState.Discovered, BladeState.Failed],
    };

    public static bool CanTransition(BladeState from, BladeState to) =>
        Allowed.TryGetValue(from, out var targets) && Array.IndexOf(targets, to) >= 0;

    public static IReadOnlyList<BladeState> NextStates(BladeState from) =>
        Allowed.TryGetValue(from, out var targets) ? targets : [];

    /// <summary>Moves <paramref name="blade"/> to <paramref name="to"/> and returns the timeline event to store with it.</summary>
    public static Event Transition(Blade blade, BladeState to, string actor, string reason, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(blade);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        var from = blade.State;
        if (!CanTransition(from, to))
        {
            throw DomainException.Conflict(
                ErrorCodes.IllegalTransition,
                $"Blade {blade.Id} ({blade.BootMac}) cannot go from {from} to {to}.");
        }

        blade.State = to;
        blade.StateChangedAt = now;
        return new Event
        {
            At = now,
            Actor = actor,
            Kind = "blade.state",
            Summary = string.IsNullOrWhiteSpace(reason) ? $"{from} → {to}" : $"{from} → {to}: {reason}",
            Details = $$"""{"from":"{{from}}","to":"{{to}}"}""",
            BladeId = blade.Id,
        };
    }
}
