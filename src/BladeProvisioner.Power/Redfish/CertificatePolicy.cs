using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BladeProvisioner.Power.Redfish;

/// <summary>
/// Which BMC certificates the appliance accepts: any the system trusts; a self-signed one only if its SHA-256 was
/// pinned for that blade (explicit, per-blade opt-in); anything only when Power:AllowInsecureBmcCertificates is on.
/// </summary>
internal static class CertificatePolicy
{
    public static bool IsAcceptable(SslPolicyErrors errors, X509Certificate2? certificate, string? pinnedSha256, bool allowInsecure)
    {
        if (errors == SslPolicyErrors.None || allowInsecure)
        {
            return true;
        }

        if (certificate is null || string.IsNullOrWhiteSpace(pinnedSha256))
        {
            return false;
        }

        var pin = Normalize(pinnedSha256);
        var actual = Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
        return pin.Length == actual.Length && CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(pin), System.Text.Encoding.ASCII.GetBytes(actual));
    }

    /// <summary>"AB:CD:…" or "abcd…" → "abcd…".</summary>
    public static string Normalize(string sha256) =>
        sha256.Replace(":", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal).Trim().ToLowerInvariant();
}
