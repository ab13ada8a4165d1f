using System.Buffers.Binary;
using System.Net;
using System.Text;
using BladeProvisioner.Dhcp.Protocol;

namespace BladeProvisioner.Dhcp.Tests.Support;

/// <summary>Reads a server reply the way a client would, independently of the server's own parser.</summary>
internal sealed class ReplyView
{
    private readonly byte[] _p;
    private readonly Dictionary<byte, byte[]> _options = [];

    public ReplyView(byte[] packet)
    {
        _p = packet;
        Assert.Equal(2, packet[0]);
        Assert.Equal(0x63825363u, BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(236)));
        int i = 240;
        while (i < packet.Length && packet[i] != 255)
        {
            if (packet[i] == 0)
            {
                i++;
                continue;
            }

            _options[packet[i]] = packet.AsSpan(i + 2, packet[i + 1]).ToArray();
            i += 2 + packet[i + 1];
        }

        Assert.True(i < packet.Length, "reply has no END option");
    }

    public DhcpMessageType Type => (DhcpMessageType)_options[DhcpOptionCode.MessageType][0];
    public uint Xid => BinaryPrimitives.ReadUInt32BigEndian(_p.AsSpan(4));
    public bool BroadcastFlag => (_p[10] & 0x80) != 0;
    public IPAddress ClientAddress => new(_p.AsSpan(12, 4));
    public IPAddress YourAddress => new(_p.AsSpan(16, 4));
    public IPAddress ServerAddress => new(_p.AsSpan(20, 4));
    public IPAddress RelayAddress => new(_p.AsSpan(24, 4));
    public string File => Encoding.ASCII.GetString(_p.AsSpan(108, 128)).TrimEnd('\0');

    public bool Has(byte code) => _options.ContainsKey(code);

    public byte[] Option(byte code) => _options[code];

    public string? Text(byte code) => _options.TryGetValue(code, out var v) ? Encoding.ASCII.GetString(v) : null;

    public IPAddress? Address(byte code) => _options.TryGetValue(code, out var v) ? new IPAddress(v.AsSpan(0, 4)) : null;

    public uint? UInt32(byte code) => _options.TryGetValue(code, out var v) ? BinaryPrimitives.ReadUInt32BigEndian(v) : null;
}
