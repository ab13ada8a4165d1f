using System.Text;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Dhcp.Protocol;

namespace BladeProvisioner.Dhcp.Boot;

/// <summary>What a request says about the client's boot firmware (RFC 4578 options 93/94/97, option 60, 77, 175).</summary>
internal sealed record ClientInfo
{
    public string? VendorClass { get; init; }
    public string? UserClass { get; init; }
    public int? Architecture { get; init; }
    public Guid? MachineId { get; init; }
    public bool HasMachineIdOption { get; init; }
    public bool IsIpxe { get; init; }

    /// <summary>PXE firmware (vendor class <c>PXEClient</c>).</summary>
    public bool IsPxe => VendorClass?.StartsWith("PXEClient", StringComparison.Ordinal) == true;

    /// <summary>UEFI HTTP boot (vendor class <c>HTTPClient</c>).</summary>
    public bool IsHttpClient => VendorClass?.StartsWith("HTTPClient", StringComparison.Ordinal) == true;

    /// <summary>A network-booting blade: the only clients enrolled and put on the timeline.</summary>
    public bool IsBootClient => IsPxe || IsHttpClient || IsIpxe;

    public BootPlatform Platform => Architecture switch
    {
        null => BootPlatform.Unknown,
        0 => BootPlatform.Bios,
        _ => BootPlatform.Uefi,
    };

    public static ClientInfo From(DhcpMessage message)
    {
        string? vendor = message.TryGetOption(DhcpOptionCode.VendorClass, out var v) ? Printable(v.Span) : null;
        string? user = null;
        bool ipxe = false;
        if (message.TryGetOption(DhcpOptionCode.UserClass, out var u))
        {
            user = Printable(u.Span);
            ipxe = IsIpxeUserClass(u.Span);
        }

        // iPXE also identifies itself with its encapsulated option 175.
        ipxe |= message.HasOption(DhcpOptionCode.IpxeEncapsulated) && user is null;
        int? arch = message.GetUInt16Option(DhcpOptionCode.ClientArchitecture);
        if (arch is null && message.TryGetOption(DhcpOptionCode.ClientArchitecture, out var a) && a.Length >= 2)
        {
            arch = (a.Span[0] << 8) | a.Span[1];
        }

        Guid? id = null;
        bool hasId = message.TryGetOption(DhcpOptionCode.ClientMachineId, out var m);
        if (hasId)
        {
            // RFC 4578 §2.3: type 0 then 16 bytes; PXE stores the SMBIOS UUID with the first three fields little-endian.
            id = new Guid(m.Span[1..17]);
        }

        return new ClientInfo { VendorClass = vendor, UserClass = user, Architecture = arch, MachineId = id, HasMachineIdOption = hasId, IsIpxe = ipxe };
    }

    /// <summary>iPXE sends "iPXE" raw; RFC 3004 clients send length-prefixed items. Accept either.</summary>
    internal static bool IsIpxeUserClass(ReadOnlySpan<byte> value)
    {
        ReadOnlySpan<byte> ipxe = "iPXE"u8;
        if (value.SequenceEqual(ipxe))
        {
            return true;
        }

        int i = 0;
        while (i < value.Length)
        {
            int len = value[i];
            if (len == 0 || i + 1 + len > value.Length)
            {
                return false;
            }

            if (value.Slice(i + 1, len).SequenceEqual(ipxe))
            {
                return true;
            }

            i += 1 + len;
        }

        return false;
    }

    private static string Printable(ReadOnlySpan<byte> value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var b in value)
        {
            sb.Append(b is >= 0x20 and < 0x7F ? (char)b : '.');
        }

        return sb.ToString();
    }
}
