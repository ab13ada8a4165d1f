using System.Net;
using BladeProvisioner.Dhcp.Protocol;

namespace BladeProvisioner.Dhcp.Server;

/// <summary>
/// A reply ready to send. When <see cref="UnicastHardwareAddress"/> is set the destination is a client that has no
/// address yet (RFC 2131 §4.1): the sender must teach the kernel its MAC first, or broadcast instead.
/// </summary>
internal sealed record DhcpReply(DhcpMessageType Type, byte[] Payload, IPEndPoint Destination)
{
    public byte[]? UnicastHardwareAddress { get; init; }

    /// <summary>Where to send if the unicast cannot be arranged.</summary>
    public IPEndPoint? Fallback { get; init; }
}
