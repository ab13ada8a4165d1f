using System.Security.Cryptography;
using System.Text;

namespace BladeProvisioner.Boot.Endpoints;

/// <summary>The one-time texts of the boot conversation: tickets and tokens, random, URL-safe, stored only hashed.</summary>
internal static class BootSecrets
{
    /// <summary>Longer presented texts are refused before any lookup.</summary>
    public const int MaxLength = 64;

    /// <summary>128 random bits as base64url (22 characters).</summary>
    public static string New() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool IsWellFormed(string? text) =>
        text is { Length: > 0 and <= MaxLength } && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>Only a hash is stored: a database dump does not hand out valid tickets or tokens.</summary>
    public static byte[] Hash(string text) => SHA256.HashData(Encoding.ASCII.GetBytes(text));
}
