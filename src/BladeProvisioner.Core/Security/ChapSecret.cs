using System.Security.Cryptography;

namespace BladeProvisioner.Core.Security;

/// <summary>
/// CHAP secrets: 16 characters, the most Microsoft's initiator accepts (12 to 16). RFC 3720 §8.2.1 asks for at least
/// 96 bits of randomness, and 16 characters reach that only from 64 symbols (16 × log2 64 = 96): the URL-safe base64
/// alphabet, letters, digits, '-' and '_'. Every symbol is safe as an iPXE word, a tgtadm/targetcli argument and in
/// iscsid and iBFT fields. (An alphabet without look-alikes such as 0/O, 1/l/I has 57 symbols: 93 bits.)
/// </summary>
public static class ChapSecret
{
    public const int Length = 16;
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// <summary>Bits of randomness in one generated secret: 96.</summary>
    public static readonly double EntropyBits = Length * Math.Log2(Alphabet.Length);

    /// <summary>A new secret, each character drawn uniformly from the alphabet (rejection sampling, no modulo bias).</summary>
    public static string Generate() => RandomNumberGenerator.GetString(Alphabet, Length);

    /// <summary>A CHAP user name for a blade's target: short, unique, no secret in it.</summary>
    public static string UserFor(long bladeId, bool mutual = false) => mutual ? $"bp-target-{bladeId}" : $"bp-blade-{bladeId}";

    public static bool IsAcceptable(string? secret) =>
        secret is { Length: >= 12 and <= 16 } && secret.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
