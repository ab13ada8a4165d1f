using System.Globalization;
using BladeProvisioner.Core.Errors;

namespace BladeProvisioner.Core.Naming;

/// <summary>
/// iSCSI qualified names, RFC 3720 §3.2.6: <c>iqn.yyyy-mm.reversed.domain[:unique]</c>, at most 223 bytes,
/// after stringprep only lower-case letters, digits, '-', '.', ':'. Upper case is folded, as iSCSI nodes do.
/// </summary>
public static class Iqn
{
    public const int MaxLength = 223;

    /// <summary>Checks a name; returns null when it is valid, otherwise why not.</summary>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "an IQN is required";
        }

        if (name.Length > MaxLength)
        {
            return $"an IQN is at most {MaxLength} bytes (RFC 3720 §3.2.6)";
        }

        if (!name.StartsWith("iqn.", StringComparison.Ordinal))
        {
            return "an IQN starts with 'iqn.'";
        }

        // iqn.yyyy-mm.
        if (name.Length < 12 || name[8] != '-' || name[11] != '.'
            || !int.TryParse(name.AsSpan(4, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var year)
            || !int.TryParse(name.AsSpan(9, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var month)
            || year < 1970 || month is < 1 or > 12)
        {
            return "an IQN carries the naming authority's date as 'iqn.yyyy-mm.'";
        }

        var rest = name.AsSpan(12);
        var colon = rest.IndexOf(':');
        var authority = colon < 0 ? rest : rest[..colon];
        if (authority.IsEmpty || authority[0] == '.' || authority[^1] == '.' || authority.Contains("..", StringComparison.Ordinal))
        {
            return "an IQN names a reversed domain after the date (e.g. 'com.example')";
        }

        foreach (var c in name)
        {
            bool ok = c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.' or ':';
            if (!ok)
            {
                return $"an IQN may hold only a-z, 0-9, '-', '.', ':' (found '{c}')";
            }
        }

        return null;
    }

    public static bool IsValid(string? name) => Validate(name) is null;

    /// <summary>Folds case as iSCSI's stringprep profile does for ASCII, then validates.</summary>
    public static string Normalize(string? name)
    {
        var folded = name?.Trim().ToLowerInvariant();
        var problem = Validate(folded);
        return problem is null
            ? folded!
            : throw DomainException.Invalid(ErrorCodes.InvalidIqn, $"'{name}' is not a valid IQN: {problem}.");
    }
}
