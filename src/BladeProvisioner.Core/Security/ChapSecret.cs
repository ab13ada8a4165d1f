using System.Security.Cryptography;

namespace BladeProvisioner.Core.Security;

/// <summary>
/// CHAP secrets: 16 characters (Microsoft's initiator accepts 12 to 16; RFC 3720 asks for ≥ 96 bits, which
/// 16 characters of this 57-letter alphabet give with room to spare). The alphabet leaves out look-alikes
/// (0/O, 1/l/I) because people do read these off a screen when something goes wrong.
/// </summary>
public static class ChapSecret
{
    public const int Length = 16;
    private const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    public static string Generate() => RandomNumberGenerator.GetString(Alphabet, Length);

    /// <summary>A CHAP user name for a blade's target: short, unique, no secret in it.</summary>
    public static string UserFor(long bladeId, bool mutual = false) => mutual ? $"bp-target-{bladeId}" : $"bp-blade-{bladeId}";

    public static bool IsAcceptable(string? secret) => secret is { Length: >= 12 and <= 16 } && secret.All(char.IsAsciiLetterOrDigit);
}
