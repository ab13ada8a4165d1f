using System.Diagnostics.CodeAnalysis;
using BladeProvisioner.Core.Errors;

namespace BladeProvisioner.Core.Naming;

/// <summary>
/// A blade's 48-bit MAC address, the key that links its DHCP lease, its record, its initiator name and its boot
/// scripts. Parsed once where it enters (a DHCP packet's chaddr, iPXE's <c>${mac}</c>, an operator's form) and then
/// compared and printed one way: six octets, lower-case hex, colon separated (<c>52:54:00:ab:cd:ef</c>).
/// </summary>
public readonly record struct MacAddress
{
    private const string Hex = "0123456789abcdef";
    private readonly ulong _value;

    private MacAddress(ulong value) => _value = value;

    /// <summary>The first six octets of a hardware address (a DHCP packet's chaddr).</summary>
    public static MacAddress FromOctets(ReadOnlySpan<byte> octets)
    {
        if (octets.Length < 6)
        {
            throw new ArgumentException($"A MAC address has six octets; {octets.Length} were given.", nameof(octets));
        }

        ulong v = 0;
        for (int i = 0; i < 6; i++)
        {
            v = (v << 8) | octets[i];
        }

        return new MacAddress(v);
    }

    /// <summary>
    /// Accepts the forms operators and iPXE use: <c>52:54:00:AB:CD:EF</c>, <c>52-54-00-ab-cd-ef</c>,
    /// <c>5254.00ab.cdef</c>, <c>525400abcdef</c> (one kind of separator, anywhere, or none).
    /// </summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out MacAddress mac)
    {
        mac = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        ulong v = 0;
        int digits = 0;
        char separator = '\0';
        foreach (var c in text.AsSpan().Trim())
        {
            if (c is ':' or '-' or '.')
            {
                if (separator == '\0')
                {
                    separator = c;
                }
                else if (separator != c)
                {
                    return false;
                }

                continue;
            }

            int nibble = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'f' => c - 'a' + 10,
                >= 'A' and <= 'F' => c - 'A' + 10,
                _ => -1,
            };
            if (nibble < 0 || digits >= 12)
            {
                return false;
            }

            v = (v << 4) | (uint)nibble;
            digits++;
        }

        if (digits != 12)
        {
            return false;
        }

        mac = new MacAddress(v);
        return true;
    }

    /// <exception cref="DomainException"><see cref="ErrorCodes.InvalidMac"/>: not six hex octets.</exception>
    public static MacAddress Parse(string? text) =>
        TryParse(text, out var mac)
            ? mac
            : throw DomainException.Invalid(ErrorCodes.InvalidMac, $"'{text}' is not a MAC address (expected six hex octets, e.g. 52:54:00:12:34:56).");

    /// <summary><c>52:54:00:ab:cd:ef</c>, as stored and shown.</summary>
    public override string ToString() => string.Create(17, _value, static (dst, v) =>
    {
        for (int i = 0; i < 6; i++)
        {
            var octet = (byte)(v >> ((5 - i) * 8));
            dst[i * 3] = Hex[octet >> 4];
            dst[(i * 3) + 1] = Hex[octet & 0xF];
            if (i < 5)
            {
                dst[(i * 3) + 2] = ':';
            }
        }
    });

    /// <summary><c>525400abcdef</c>, as used in generated initiator names.</summary>
    public string ToCompactString() => string.Create(12, _value, static (dst, v) =>
    {
        for (int i = 0; i < 12; i++)
        {
            dst[i] = Hex[(int)((v >> ((11 - i) * 4)) & 0xF)];
        }
    });
}
