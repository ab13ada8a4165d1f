using System.Text;

namespace BladeProvisioner.Tftp.Protocol;

/// <summary>
/// Parses RRQ/WRQ packets (RFC 1350 §5, options RFC 2347 §2). Every field is NUL-terminated; a field that runs
/// off the end of the datagram is a malformed packet, reported as a status and never thrown.
/// </summary>
internal static class TftpRequestParser
{
    /// <summary>More options than any real client sends; bounds the work one datagram can cause.</summary>
    public const int MaxOptions = 16;

    /// <summary>Longest option name or value accepted; RFC 2347 caps the whole request at 512 octets.</summary>
    public const int MaxOptionFieldLength = 64;

    public static TftpParseStatus Parse(ReadOnlySpan<byte> packet, out TftpRequest? request)
    {
        request = null;
        if (!TftpPacket.TryReadOpcode(packet, out var opcode))
        {
            return TftpParseStatus.TooShort;
        }

        if (opcode is not (TftpOpcode.ReadRequest or TftpOpcode.WriteRequest))
        {
            return Enum.IsDefined(opcode) ? TftpParseStatus.NotARequest : TftpParseStatus.UnknownOpcode;
        }

        var rest = packet[2..];
        if (!TryTakeField(ref rest, out var nameBytes))
        {
            return TftpParseStatus.FileNameNotTerminated;
        }

        if (nameBytes.IsEmpty)
        {
            return TftpParseStatus.EmptyFileName;
        }

        if (!IsPrintableAscii(nameBytes))
        {
            return TftpParseStatus.FileNameHasInvalidCharacter;
        }

        if (!TryTakeField(ref rest, out var modeBytes))
        {
            return TftpParseStatus.ModeNotTerminated;
        }

        if (!TryParseMode(modeBytes, out var mode))
        {
            // "name\0tail\0octet\0": a NUL inside the file name split it; the real mode follows.
            var probe = rest;
            return TryTakeField(ref probe, out var next) && TryParseMode(next, out _)
                ? TftpParseStatus.FileNameHasEmbeddedNul
                : TftpParseStatus.UnknownMode;
        }

        var options = new List<TftpOption>();
        while (!rest.IsEmpty)
        {
            if (!TryTakeField(ref rest, out var optionName))
            {
                return TftpParseStatus.OptionNameNotTerminated;
            }

            if (optionName.IsEmpty)
            {
                // Some clients pad requests with NULs; trailing zero bytes carry nothing.
                if (rest.IndexOfAnyExcept((byte)0) < 0)
                {
                    break;
                }

                return TftpParseStatus.EmptyOptionName;
            }

            if (!TryTakeField(ref rest, out var optionValue))
            {
                return TftpParseStatus.OptionValueNotTerminated;
            }

            if (optionName.Length > MaxOptionFieldLength || optionValue.Length > MaxOptionFieldLength
                || !IsPrintableAscii(optionName) || (!optionValue.IsEmpty && !IsPrintableAscii(optionValue)))
            {
                return TftpParseStatus.OptionHasInvalidCharacter;
            }

            if (options.Count == MaxOptions)
            {
                return TftpParseStatus.TooManyOptions;
            }

            var name = Encoding.ASCII.GetString(optionName).ToLowerInvariant();
            foreach (var existing in options)
            {
                if (existing.Name == name)
                {
                    return TftpParseStatus.DuplicateOption;
                }
            }

            options.Add(new TftpOption(name, Encoding.ASCII.GetString(optionValue)));
        }

        request = new TftpRequest(opcode, Encoding.ASCII.GetString(nameBytes), mode, options);
        return TftpParseStatus.Ok;
    }

    private static bool TryTakeField(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> field)
    {
        var end = rest.IndexOf((byte)0);
        if (end < 0)
        {
            field = default;
            return false;
        }

        field = rest[..end];
        rest = rest[(end + 1)..];
        return true;
    }

    private static bool TryParseMode(ReadOnlySpan<byte> mode, out TftpMode parsed)
    {
        if (Ascii.EqualsIgnoreCase(mode, "octet"u8))
        {
            parsed = TftpMode.Octet;
            return true;
        }

        if (Ascii.EqualsIgnoreCase(mode, "netascii"u8))
        {
            parsed = TftpMode.NetAscii;
            return true;
        }

        if (Ascii.EqualsIgnoreCase(mode, "mail"u8))
        {
            parsed = TftpMode.Mail;
            return true;
        }

        parsed = default;
        return false;
    }

    private static bool IsPrintableAscii(ReadOnlySpan<byte> field) => field.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) < 0;

    /// <summary>Reads a decimal option value without sign, whitespace or overflow.</summary>
    public static bool TryParseNumber(string value, long max, out long number)
    {
        number = 0;
        if (value.Length is 0 or > 10)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            number = (number * 10) + (c - '0');
        }

        return number <= max;
    }
}
