using System.Text;
using BladeProvisioner.Dhcp.Protocol;

namespace BladeProvisioner.Dhcp.Server;

/// <summary>RFC 3046 option 82: circuit-id (1) and remote-id (2), as text when printable, else hex.</summary>
internal sealed record RelayInfo(string? CircuitId, string? RemoteId)
{
    /// <summary>
    /// Option 82 of a relayed datagram (giaddr set; the server has checked its sender is a trusted relay). From a
    /// directly connected client it is ignored: RFC 3046 §2.1, a server should not trust what a client says about its port.
    /// </summary>
    public static RelayInfo? From(DhcpMessage message)
    {
        if (message.RelayAddress == 0 || !message.TryGetOption(DhcpOptionCode.RelayAgentInformation, out var v))
        {
            return null;
        }

        var span = v.Span;
        string? circuit = DhcpOptionRules.TryGetSubOption(span, 1, out var c) ? Render(c) : null;
        string? remote = DhcpOptionRules.TryGetSubOption(span, 2, out var r) ? Render(r) : null;
        return new RelayInfo(circuit, remote);
    }

    private static string Render(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            if (b is < 0x20 or >= 0x7F)
            {
                return Convert.ToHexStringLower(value);
            }
        }

        return Encoding.ASCII.GetString(value);
    }
}
