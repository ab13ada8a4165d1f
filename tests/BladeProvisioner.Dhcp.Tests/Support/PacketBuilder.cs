using System.Buffers.Binary;
using System.Net;
using System.Text;
using BladeProvisioner.Dhcp.Protocol;

namespace BladeProvisioner.Dhcp.Tests.Support;

/// <summary>Crafts client packets byte by byte, as a client or relay would send them.</summary>
internal sealed class PacketBuilder
{
    private readonly List<(byte Code, byte[] Value)> _options = [];

    public byte Op { get; set; } = 1;
    public byte HardwareType { get; set; } = 1;
    public byte HardwareLength { get; set; } = 6;
    public uint Xid { get; set; } = 0x12345678;
    public bool Broadcast { get; set; }
    public IPAddress ClientAddress { get; set; } = IPAddress.Any;
    public IPAddress RelayAddress { get; set; } = IPAddress.Any;
    public byte[] Mac { get; set; } = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

    public static PacketBuilder Of(DhcpMessageType type, string mac = "52:54:00:12:34:56")
    {
        var b = new PacketBuilder { Mac = Convert.FromHexString(mac.Replace(":", string.Empty, StringComparison.Ordinal)) };
        return b.With(DhcpOptionCode.MessageType, (byte)type);
    }

    public PacketBuilder With(byte code, params byte[] value)
    {
        _options.Add((code, value));
        return this;
    }

    public PacketBuilder With(byte code, string value) => With(code, Encoding.ASCII.GetBytes(value));

    public PacketBuilder With(byte code, IPAddress address) => With(code, address.GetAddressBytes());

    public PacketBuilder Arch(ushort arch) => With(DhcpOptionCode.ClientArchitecture, (byte)(arch >> 8), (byte)arch);

    public PacketBuilder Pxe(ushort arch) => With(DhcpOptionCode.VendorClass, $"PXEClient:Arch:{arch:D5}:UNDI:003016").Arch(arch);

    public PacketBuilder Ipxe() => With(DhcpOptionCode.UserClass, "iPXE");

    public byte[] Build(bool end = true, bool pad = true)
    {
        var p = new List<byte>(new byte[236]);
        p[0] = Op;
        p[1] = HardwareType;
        p[2] = HardwareLength;
        var header = p.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), Xid);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), (ushort)(Broadcast ? 0x8000 : 0));
        ClientAddress.GetAddressBytes().CopyTo(header, 12);
        RelayAddress.GetAddressBytes().CopyTo(header, 24);
        Mac.CopyTo(header, 28);
        var result = new List<byte>(header) { 0x63, 0x82, 0x53, 0x63 };
        foreach (var (code, value) in _options)
        {
            result.Add(code);
            result.Add((byte)value.Length);
            result.AddRange(value);
        }

        if (end)
        {
            result.Add(255);
        }

        while (pad && result.Count < 300)
        {
            result.Add(0);
        }

        return [.. result];
    }
}
