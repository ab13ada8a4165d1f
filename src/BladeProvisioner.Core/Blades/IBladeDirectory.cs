namespace BladeProvisioner.Core.Blades;

/// <summary>
/// Enrols blades on first sight and answers what a blade's boot services need. Implemented over PostgreSQL with a
/// short cache; a fake serves unit tests.
/// </summary>
public interface IBladeDirectory
{
    /// <summary>Finds the blade by MAC, enrolling it as Discovered if it is new, and records what was seen.</summary>
    /// <exception cref="EnrolmentRefusedException">The MAC is new and enrolment is over its ceiling or its source's rate.</exception>
    ValueTask<BladeBootProfile> SightAsync(BladeSighting sighting, CancellationToken cancellationToken);

    /// <summary>The blade's profile if it is known; null otherwise. Enrols nothing.</summary>
    ValueTask<BladeBootProfile?> FindAsync(string mac, CancellationToken cancellationToken);
}
