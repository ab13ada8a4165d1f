using System.Globalization;

namespace BladeProvisioner.Boot.Scripts;

/// <summary>
/// iPXE status codes (<c>${errno}</c>, e.g. <c>0x410d613c</c>) in words. The top byte is iPXE's POSIX error number
/// (include/errno.h); the rest names the source file and line. Only the causes a booting blade meets are worded;
/// the code is always kept so it can be looked up at ipxe.org/err.
/// </summary>
internal static class IpxeErrors
{
    private static readonly Dictionary<int, string> Words = new()
    {
        [0x02] = "permission denied",
        [0x0e] = "connection refused (is the iSCSI portal up?)",
        [0x0f] = "connection reset",
        [0x17] = "host unreachable",
        [0x1d] = "input/output error",
        [0x26] = "network is down",
        [0x28] = "network unreachable",
        [0x2c] = "no such device (is the LUN exported?)",
        [0x2d] = "not found",
        [0x3e] = "no such device or address (wrong LUN?)",
        [0x41] = "login refused (CHAP credentials or initiator ACL)",
        [0x4c] = "connection timed out",
    };

    public static string Describe(string? errno)
    {
        var text = errno?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return "unknown error";
        }

        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        if (hex.Length is 0 or > 8 || !uint.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
        {
            return "unknown error";
        }

        var canonical = code.ToString("x8", CultureInfo.InvariantCulture);
        return Words.TryGetValue((int)(code >> 24), out var words)
            ? $"{words} (iPXE error {canonical})"
            : $"iPXE error {canonical}";
    }
}
