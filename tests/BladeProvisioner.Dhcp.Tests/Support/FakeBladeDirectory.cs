using System.Collections.Concurrent;
using BladeProvisioner.Core.Blades;
using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Dhcp.Tests.Support;

internal sealed class FakeBladeDirectory : IBladeDirectory
{
    private long _nextId = 100;

    public ConcurrentDictionary<string, BladeBootProfile> Blades { get; } = new();

    public ConcurrentQueue<BladeSighting> Sightings { get; } = new();

    public ValueTask<BladeBootProfile?> FindAsync(string mac, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Blades.TryGetValue(mac, out var p) ? p : null);

    public ValueTask<BladeBootProfile> SightAsync(BladeSighting sighting, CancellationToken cancellationToken)
    {
        Sightings.Enqueue(sighting);
        var profile = Blades.GetOrAdd(sighting.Mac, m => new BladeBootProfile(Interlocked.Increment(ref _nextId), m, BladeState.Discovered, null, UefiLoader.IpxeEfi, IsNew: true));
        return ValueTask.FromResult(profile);
    }
}
