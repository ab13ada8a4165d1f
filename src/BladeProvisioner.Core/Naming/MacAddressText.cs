using System.Diagnostics.CodeAnalysis;

namespace BladeProvisioner.Core.Naming;

/// <summary>
/// MAC addresses as text, for the places that hold them as strings (database columns, JSON, configuration): the
/// normalised form of <see cref="MacAddress"/>, which does the parsing and formatting.
/// </summary>
public static class MacAddressText
{
    public static bool TryNormalize(string? text, [NotNullWhen(true)] out string? normalized)
    {
        normalized = MacAddress.TryParse(text, out var mac) ? mac.ToString() : null;
        return normalized is not null;
    }

    /// <exception cref="Errors.DomainException"><see cref="Errors.ErrorCodes.InvalidMac"/>: not six hex octets.</exception>
    public static string Normalize(string? text) => MacAddress.Parse(text).ToString();

    public static string Format(ReadOnlySpan<byte> octets) => MacAddress.FromOctets(octets).ToString();

    /// <summary>The MAC without separators (<c>525400abcdef</c>), as used in generated initiator names.</summary>
    public static string Compact(string normalized) => normalized.Replace(":", string.Empty, StringComparison.Ordinal);
}
