using System.Globalization;
using System.Text;

namespace BladeProvisioner.Boot.Scripts;

/// <summary>
/// Absolute URLs one blade's scripts chain to. Query values are percent-encoded, so they reach iPXE as plain words;
/// the token (the one-time token issued with this script, if any) rides on every link.
/// </summary>
internal sealed class BootLinks
{
    private readonly string _base;
    private readonly string? _token;

    public BootLinks(Uri baseUri, long bladeId, string? token = null)
    {
        _base = Base(baseUri);
        BladeId = bladeId;
        if (token is not null && (token.Length == 0 || !token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw new ArgumentException("A boot token is base64url text.", nameof(token));
        }

        _token = token;
    }

    public long BladeId { get; }

    public string Menu(string? error = null) => Build(BootPaths.Menu, ("error", error));

    public string Choose(long imageId) => Build(BootPaths.Choose, ("image", imageId.ToString(CultureInfo.InvariantCulture)));

    public string Status() => Build(BootPaths.Status);

    /// <summary>The base (scheme, host, port, path prefix) without a trailing slash; refuses what iPXE would mangle.</summary>
    internal static string Base(Uri baseUri)
    {
        ArgumentNullException.ThrowIfNull(baseUri);
        if (!baseUri.IsAbsoluteUri || baseUri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(baseUri.Query) || !string.IsNullOrEmpty(baseUri.Fragment))
        {
            throw new ArgumentException($"'{baseUri}' is not an http(s) base URL without query.", nameof(baseUri));
        }

        var text = baseUri.AbsoluteUri.TrimEnd('/');
        return IpxeText.IsSafeWord(text) && !text.Contains('$', StringComparison.Ordinal)
            ? text
            : throw new ArgumentException($"'{baseUri}' cannot be written into an iPXE script.", nameof(baseUri));
    }

    private string Build(string path, params (string Name, string? Value)[] extra)
    {
        var url = new StringBuilder(_base).Append(path).Append("?blade=").Append(BladeId.ToString(CultureInfo.InvariantCulture));
        foreach (var (name, value) in extra)
        {
            if (value is not null)
            {
                url.Append('&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            }
        }

        if (_token is not null)
        {
            url.Append("&token=").Append(_token);
        }

        return url.ToString();
    }
}
