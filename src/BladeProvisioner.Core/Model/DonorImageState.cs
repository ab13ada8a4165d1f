namespace BladeProvisioner.Core.Model;

/// <summary>
/// Importing → Active → Paused → Retired. Paused: running clones finish, no new ones start.
/// Retired: hidden from menus; deletable once no volume uses it.
/// </summary>
public enum DonorImageState
{
    Importing,
    Active,
    Paused,
    Retired,
    Failed,
}
