using System.Diagnostics.CodeAnalysis;
using BladeProvisioner.Core.Errors;

namespace BladeProvisioner.Core.Naming;

/// <summary>
/// MAC addresses as the appliance stores them: six octets, lower-case hex, colon separated.
/// Accepts the forms operators and iPXE use: <c>52:54:00:AB:CD:EF</c>, <c>52-54-00-ab-cd-ef</c>, <c>525400abcdef</c>.
/// </summary>
public static class MacAddressText
{
    public static bool TryNormalize(string? text, [NotNullWhen(true)] out string? normalized)
    {
        normalized = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        Span<byte> octets = stackalloc byte[6];
        var s = text.AsSpan().Trim();
        int digits = 0;
        int nibbleCount = 0;
        byte current = 0;
        char separator = '\0';
        foreach (var c in s)
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

            int v = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'f' => c - 'a' + 10,
                >= 'A' and <= 'F' => c - 'A' + 10,
                _ => -1,
            };
            if (v < 0 || digits >= 12)
            {
                return false;
            }

            current = (byte)((current << 4) | v);
            digits++;
            if (++nibbleCount == 2)
            {
                octets[(digits / 2) - 1] = current;
                current = 0;
                nibbleCount = 0;
            }
        }

        if (digits != 12)
        {
            return false;
        }

        normalized = Format(octets);
        return true;
    }

    public static string Normalize(string? text) =>
        TryNormalize(text, out var n)
            ? n
            : throw DomainException.Invalid(ErrorCodes.InvalidMac, $"'{text}' is not a MAC address (expected six hex octets, e.g. 52:54:00:12:34:56).");

    public static string Format(ReadOnlySpan<byte> octets) =>
        string.Create(17, octets.ToArray(), static (dst, o) =>
        {
            const string Hex = "0123456789abcdef";
            for (int i = 0; i < 6; i++)
            {
                dst[i * 3] = Hex[o[i] >> 4];
                dst[(i * 3) + 1] = Hex[o[i] & 0xF];
                if (i < 5)
                {
                    dst[(i * 3) + 2] = ':';
                }
            }
        });

    /// <summary>The MAC without separators (<c>525400abcdef</c>), as used in generated initiator names.</summary>
    public static string Compact(string normalized) => normalized.Replace(":", string.Empty, StringComparison.Ordinal);
}
