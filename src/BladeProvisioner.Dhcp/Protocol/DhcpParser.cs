using System.Buffers.Binary;

namespace BladeProvisioner.Dhcp.Protocol;

/// <summary>
/// Validating BOOTREQUEST parser (RFC 2131 §2, §4.1; RFC 2132 §2, §9.3; RFC 3396). Never throws on wire input:
/// every length is checked against the buffer before use and anything malformed yields a non-OK status.
/// </summary>
internal static class DhcpParser
{
    public const int FixedHeaderLength = 236;
    public const int OptionsOffset = 240;
    public const uint MagicCookie = 0x63825363;
    private const int SnameOffset = 44;
    private const int SnameLength = 64;
    private const int FileOffset = 108;
    private const int FileLength = 128;

    public static DhcpParseStatus TryParse(ReadOnlySpan<byte> packet, out DhcpMessage? message)
    {
        message = null;
        if (packet.Length < OptionsOffset)
        {
            return DhcpParseStatus.Truncated;
        }

        if (packet[0] != 1)
        {
            return DhcpParseStatus.NotBootRequest;
        }

        if (packet[1] != 1)
        {
            return DhcpParseStatus.UnsupportedHardwareType;
        }

        if (packet[2] != 6)
        {
            return DhcpParseStatus.BadHardwareLength;
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(packet[FixedHeaderLength..]) != MagicCookie)
        {
            return DhcpParseStatus.BadMagicCookie;
        }

        var collector = new OptionCollector(packet.Length);
        var status = ParseArea(packet, OptionsOffset, packet.Length - OptionsOffset, mainArea: true, ref collector);
        if (status != DhcpParseStatus.Ok)
        {
            return status;
        }

        // RFC 2131 §4.1: with option 52, 'file' then 'sname' carry further options, each ended by END.
        if (collector.Overload != 0)
        {
            if ((collector.Overload & 1) != 0)
            {
                status = ParseArea(packet, FileOffset, FileLength, mainArea: false, ref collector);
                if (status != DhcpParseStatus.Ok)
                {
                    return status;
                }
            }

            if ((collector.Overload & 2) != 0)
            {
                status = ParseArea(packet, SnameOffset, SnameLength, mainArea: false, ref collector);
                if (status != DhcpParseStatus.Ok)
                {
                    return status;
                }
            }
        }

        var copy = packet.ToArray();
        var options = collector.Build(copy);
        status = DhcpOptionRules.Validate(options, out var type);
        if (status != DhcpParseStatus.Ok)
        {
            return status;
        }

        message = new DhcpMessage(copy, options, type);
        return DhcpParseStatus.Ok;
    }

    private static DhcpParseStatus ParseArea(ReadOnlySpan<byte> packet, int start, int length, bool mainArea, ref OptionCollector collector)
    {
        var area = packet.Slice(start, length);
        int i = 0;
        while ((uint)i < (uint)area.Length)
        {
            byte code = area[i];
            if (code == DhcpOptionCode.Pad)
            {
                i++;
                continue;
            }

            if (code == DhcpOptionCode.End)
            {
                // RFC 2131 §4.1: only PAD may follow END.
                return area[(i + 1)..].ContainsAnyExcept((byte)0) ? DhcpParseStatus.GarbageAfterEnd : DhcpParseStatus.Ok;
            }

            if ((uint)(i + 1) >= (uint)area.Length)
            {
                return DhcpParseStatus.OptionPastEnd;
            }

            int len = area[i + 1];
            if (i + 2 + len > area.Length)
            {
                return DhcpParseStatus.OptionPastEnd;
            }

            if (len == 0 && code != DhcpOptionCode.RapidCommit)
            {
                return DhcpParseStatus.ZeroLengthOption;
            }

            if (code == DhcpOptionCode.Overload)
            {
                if (!mainArea || len != 1 || area[i + 2] is < 1 or > 3 || collector.Overload != 0)
                {
                    return DhcpParseStatus.BadOverload;
                }

                collector.Overload = area[i + 2];
            }

            collector.Add(code, start + i + 2, len);
            i += 2 + len;
        }

        return DhcpParseStatus.MissingEnd;
    }
}
