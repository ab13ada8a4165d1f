using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace BladeProvisioner.Dhcp.Scopes;

/// <summary>IPv4 addresses as host-order <c>uint</c>, the form the allocator computes with.</summary>
internal static class Ipv4
{
    public static bool TryParse(string? text, out uint address)
    {
        address = 0;
        if (string.IsNullOrWhiteSpace(text) || !IPAddress.TryParse(text.Trim(), out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        address = ToUInt32(ip);
        return true;
    }

    public static uint ToUInt32(IPAddress address)
    {
        Span<byte> b = stackalloc byte[4];
        return address.TryWriteBytes(b, out int n) && n == 4 ? BinaryPrimitives.ReadUInt32BigEndian(b) : 0;
    }

    public static IPAddress ToAddress(uint address)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, address);
        return new IPAddress(b);
    }

    public static string Format(uint address) => $"{address >> 24}.{(address >> 16) & 0xFF}.{(address >> 8) & 0xFF}.{address & 0xFF}";

    public static uint MaskFromPrefix(int prefix) => prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);

    /// <summary>Parses <c>a.b.c.d/n</c>; the host bits must be zero.</summary>
    public static bool TryParseCidr(string? text, out uint network, out int prefix)
    {
        network = 0;
        prefix = 0;
        var parts = text?.Split('/') ?? [];
        if (parts.Length != 2 || !TryParse(parts[0], out var addr) || !int.TryParse(parts[1], out prefix) || prefix is < 1 or > 30)
        {
            return false;
        }

        network = addr;
        return (addr & ~MaskFromPrefix(prefix)) == 0;
    }

    /// <summary>Parses <c>first-last</c>.</summary>
    public static bool TryParseRange(string? text, out uint first, out uint last)
    {
        first = last = 0;
        var parts = text?.Split('-') ?? [];
        return parts.Length == 2 && TryParse(parts[0], out first) && TryParse(parts[1], out last) && first <= last;
    }
}
