using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace BladeProvisioner.Bench.Storm;

/// <summary>The fields of a server's BOOTREPLY a booting client uses (RFC 2131 §2, options 1, 53, 54, 66, 67).</summary>
internal sealed record DhcpAnswer(uint TransactionId, byte Type, uint YourAddress, uint NextServer, uint ServerId, int PrefixLength, string? BootFile)
{
    public IPAddress Address => new(BinaryPrimitives.ReverseEndianness(YourAddress));

    /// <summary>Where TFTP goes: siaddr, else the server identifier.</summary>
    public IPAddress TftpServer => new(BinaryPrimitives.ReverseEndianness(NextServer != 0 ? NextServer : ServerId));

    public static bool TryParse(ReadOnlySpan<byte> p, out DhcpAnswer answer)
    {
        answer = null!;
        if (p.Length < 240 || p[0] != 2 || BinaryPrimitives.ReadUInt32BigEndian(p[236..]) != 0x63825363)
        {
            return false;
        }

        byte type = 0;
        uint server = 0;
        var prefix = 24;
        string? file = null;
        var header = p[108..236];
        if (header[0] != 0)
        {
            file = Cstring(header);
        }

        var i = 240;
        while ((uint)i < (uint)p.Length && p[i] != 255)
        {
            if (p[i] == 0)
            {
                i++;
                continue;
            }

            if (i + 1 >= p.Length || i + 2 + p[i + 1] > p.Length)
            {
                return false;
            }

            var value = p.Slice(i + 2, p[i + 1]);
            switch (p[i])
            {
                case 53 when value.Length == 1: type = value[0]; break;
                case 54 when value.Length == 4: server = BinaryPrimitives.ReadUInt32BigEndian(value); break;
                case 1 when value.Length == 4: prefix = System.Numerics.BitOperations.PopCount(BinaryPrimitives.ReadUInt32BigEndian(value)); break;
                case 67: file = Cstring(value); break;
            }

            i += 2 + value.Length;
        }

        if (type == 0)
        {
            return false;
        }

        answer = new DhcpAnswer(
            BinaryPrimitives.ReadUInt32BigEndian(p[4..]), type, BinaryPrimitives.ReadUInt32BigEndian(p[16..]), BinaryPrimitives.ReadUInt32BigEndian(p[20..]), server, prefix, file);
        return true;
    }

    private static string Cstring(ReadOnlySpan<byte> s)
    {
        var end = s.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? s : s[..end]);
    }
}

/// <summary>Who a DHCP request says it is: the blade's MAC, SMBIOS UUID, firmware architecture, and whether iPXE asks.</summary>
internal sealed record DhcpIdentity(byte[] Mac, Guid Uuid, int Architecture, bool Ipxe);
