using System.Collections.Concurrent;
using BladeProvisioner.Dhcp.Probing;
using BladeProvisioner.Dhcp.Scopes;

namespace BladeProvisioner.Dhcp.Tests.Support;

internal sealed class FakeProbe : IAddressProbe
{
    public bool Enabled { get; set; } = true;

    public HashSet<string> InUse { get; } = [];

    public ConcurrentQueue<string> Probed { get; } = new();

    public ValueTask<bool> IsInUseAsync(string interfaceName, uint address, CancellationToken cancellationToken)
    {
        Probed.Enqueue(Ipv4.Format(address));
        return ValueTask.FromResult(InUse.Contains(Ipv4.Format(address)));
    }
}
