using System.Buffers.Binary;

namespace BladeProvisioner.Dhcp.Protocol;

/// <summary>
/// A parsed, validated BOOTREQUEST (RFC 2131 §2). Owns a copy of the packet, so it outlives the receive buffer.
/// Addresses are IPv4 in host order (<c>uint</c>) for cheap arithmetic.
/// </summary>
internal sealed class DhcpMessage
{
    private readonly byte[] _packet;
    private readonly DhcpOption[] _options;

    internal DhcpMessage(byte[] packet, DhcpOption[] options, DhcpMessageType messageType)
    {
        _packet = packet;
        _options = options;
        MessageType = messageType;
    }

    public DhcpMessageType MessageType { get; }
    public byte Hops => _packet[3];
    public uint TransactionId => BinaryPrimitives.ReadUInt32BigEndian(_packet.AsSpan(4));
    public ushort Seconds => BinaryPrimitives.ReadUInt16BigEndian(_packet.AsSpan(8));
    public ushort Flags => BinaryPrimitives.ReadUInt16BigEndian(_packet.AsSpan(10));
    public bool Broadcast => (Flags & 0x8000) != 0;
    public uint ClientAddress => BinaryPrimitives.ReadUInt32BigEndian(_packet.AsSpan(12));
    public uint YourAddress => BinaryPrimitives.ReadUInt32BigEndian(_packet.AsSpan(16));
    public uint RelayAddress => BinaryPrimitives.ReadUInt32BigEndian(_packet.AsSpan(24));

    /// <summary>The 16-byte chaddr field as sent (echoed in replies).</summary>
    public ReadOnlySpan<byte> ClientHardwareField => _packet.AsSpan(28, 16);

    /// <summary>The six-octet Ethernet address (htype 1, hlen 6 are enforced by the parser).</summary>
    public ReadOnlySpan<byte> HardwareAddress => _packet.AsSpan(28, 6);

    public IReadOnlyList<DhcpOption> Options => _options;

    public bool TryGetOption(byte code, out ReadOnlyMemory<byte> value)
    {
        foreach (var o in _options)
        {
            if (o.Code == code)
            {
                value = o.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    public bool HasOption(byte code) => TryGetOption(code, out _);

    /// <summary>A four-byte address option; the parser has checked the length.</summary>
    public uint? GetAddressOption(byte code) =>
        TryGetOption(code, out var v) && v.Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(v.Span) : null;

    public uint? GetUInt32Option(byte code) => GetAddressOption(code);

    public ushort? GetUInt16Option(byte code) =>
        TryGetOption(code, out var v) && v.Length == 2 ? BinaryPrimitives.ReadUInt16BigEndian(v.Span) : null;
}
