using System.Globalization;
using System.Net;

namespace BladeProvisioner.Power;

/// <summary>
/// A BMC address as operators write it: <c>host</c>, <c>host:port</c>, <c>[fd00::5]:623</c>, a bare IPv6 address, or
/// (Redfish) a URL whose path may name the system.
/// </summary>
internal readonly record struct BmcEndpoint(string Host, int? Port, string? Scheme, string? Path)
{
    public static bool TryParse(string? text, out BmcEndpoint endpoint, out string? problem)
    {
        endpoint = default;
        problem = null;
        var s = text?.Trim();
        if (string.IsNullOrEmpty(s))
        {
            problem = "no BMC address is set";
            return false;
        }

        if (s.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(s, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || string.IsNullOrEmpty(uri.Host))
            {
                problem = $"'{s}' is not an http(s) URL";
                return false;
            }

            var path = uri.AbsolutePath.TrimEnd('/');
            endpoint = new BmcEndpoint(uri.IdnHost.Trim('[', ']'), uri.IsDefaultPort ? null : uri.Port, uri.Scheme, path.Length == 0 ? null : path);
            return true;
        }

        if (s.Any(char.IsWhiteSpace) || s.Contains('/', StringComparison.Ordinal))
        {
            problem = $"'{s}' is not a host name or address";
            return false;
        }

        if (s[0] == '[')
        {
            var close = s.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || !IPAddress.TryParse(s.AsSpan(1, close - 1), out _))
            {
                problem = $"'{s}' is not a bracketed IPv6 address";
                return false;
            }

            var rest = s.AsSpan(close + 1);
            if (rest.IsEmpty)
            {
                endpoint = new BmcEndpoint(s[1..close], null, null, null);
                return true;
            }

            if (rest[0] != ':' || !TryPort(rest[1..], out var v6Port))
            {
                problem = $"'{s}' has no valid port after the address";
                return false;
            }

            endpoint = new BmcEndpoint(s[1..close], v6Port, null, null);
            return true;
        }

        var colon = s.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            endpoint = new BmcEndpoint(s, null, null, null);
            return true;
        }

        if (s.IndexOf(':', colon + 1) >= 0)
        {
            // More than one colon: a bare IPv6 address, no port.
            if (!IPAddress.TryParse(s, out _))
            {
                problem = $"'{s}' is not a host name or address";
                return false;
            }

            endpoint = new BmcEndpoint(s, null, null, null);
            return true;
        }

        if (colon == 0 || !TryPort(s.AsSpan(colon + 1), out var port))
        {
            problem = $"'{s}' has no valid port after the host";
            return false;
        }

        endpoint = new BmcEndpoint(s[..colon], port, null, null);
        return true;
    }

    private static bool TryPort(ReadOnlySpan<char> text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535;
}
