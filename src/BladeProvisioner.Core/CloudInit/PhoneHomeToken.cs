using System.Security.Cryptography;
using System.Text;

namespace BladeProvisioner.Core.CloudInit;

/// <summary>
/// The per-volume secret in the phone-home URL a clone's cloud-init posts to (<c>/cloud-init/phone-home/&lt;token&gt;</c>
/// on the boot API): 32 random bytes as 64 hex digits, kept only as its SHA-256 and never logged.
/// </summary>
public static class PhoneHomeToken
{
    public const string PathPrefix = "/cloud-init/phone-home/";

    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)));
    }

    public static bool IsWellFormed(string? token) =>
        token is { Length: 64 } && token.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    /// <summary>The URL the seed's vendor-data names: the blade's boot API base (its iPXE scripts' base) and the token.</summary>
    public static string UrlFor(Uri bootBase, string token)
    {
        ArgumentNullException.ThrowIfNull(bootBase);
        return new Uri(bootBase, PathPrefix.TrimStart('/') + token).ToString();
    }
}
