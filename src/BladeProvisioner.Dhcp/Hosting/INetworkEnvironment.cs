using System.Net.Sockets;

namespace BladeProvisioner.Dhcp.Hosting;

/// <summary>
/// The few operating-system calls the DHCP service makes. Tests substitute one that creates the sockets inside a
/// network namespace; a socket keeps the namespace it was created in.
/// </summary>
internal interface INetworkEnvironment
{
    /// <summary>A UDP socket on 0.0.0.0:<paramref name="port"/> that sees only <paramref name="interfaceName"/>'s packets.</summary>
    Socket OpenUdp(string interfaceName, int port);

    /// <summary>A raw ICMP socket bound to the interface, for probe-before-offer.</summary>
    Socket OpenIcmp(string interfaceName);

    /// <summary>The interface's first IPv4 address (host order), or null.</summary>
    uint? GetIPv4Address(string interfaceName);

    /// <summary>Adds a neighbour entry so a reply can be unicast to a client that has no address yet.</summary>
    bool TryAddNeighbour(Socket socket, string interfaceName, uint address, ReadOnlySpan<byte> hardwareAddress);
}
