using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Core.Lifecycle;

/// <summary>
/// Donor image states: Importing → Active ⇄ Paused → Retired; an import that fails is Failed. Paused stops new clones
/// (running ones finish); Retired hides the image from menus and allows deletion once no volume uses it.
/// </summary>
public static class DonorImageLifecycle
{
    private static readonly Dictionary<DonorImageState, DonorImageState[]> Allowed = new()
    {
        [DonorImageState.Importing] = [DonorImageState.Active, DonorImageState.Failed],
        [DonorImageState.Active] = [DonorImageState.Paused, DonorImageState.Retired],
        [DonorImageState.Paused] = [DonorImageState.Active, DonorImageState.Retired],
        [DonorImageState.Retired] = [],
        [DonorImageState.Failed] = [],
    };

    public static bool CanTransition(DonorImageState from, DonorImageState to) =>
        Allowed.TryGetValue(from, out var t) && Array.IndexOf(t, to) >= 0;

    public static void Transition(DonorImage image, DonorImageState to)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!CanTransition(image.State, to))
        {
            throw DomainException.Conflict(ErrorCodes.ImageIllegalState, $"Image {image.DisplayName} is {image.State} and cannot become {to}.");
        }

        image.State = to;
    }

    /// <summary>Only an Active image is offered in menus and may be cloned.</summary>
    public static void EnsureCloneable(DonorImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.State != DonorImageState.Active)
        {
            throw DomainException.Conflict(ErrorCodes.ImageNotActive, $"Image {image.DisplayName} is {image.State}; only Active images can be cloned.");
        }
    }

    /// <summary>Files may be deleted only for images no longer offered: Retired or Failed.</summary>
    public static bool IsDeletable(DonorImageState state) => state is DonorImageState.Retired or DonorImageState.Failed;
}
