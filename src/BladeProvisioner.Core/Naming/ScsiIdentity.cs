using System.Globalization;
using System.Security.Cryptography;

namespace BladeProvisioner.Core.Naming;

/// <summary>
/// A unique SCSI identity per clone, so no two blades' LUNs look alike to multipath or to an OS that keys on
/// them: a unit serial number (VPD 0x80) and an NAA-6 registered-extended WWN (VPD 0x83).
/// </summary>
public static class ScsiIdentity
{
    /// <summary>
    /// NAA 6, IEEE company id 0x000000 is reserved; we use a locally chosen OUI-form value with the vendor-specific
    /// bits random, which is what software targets commonly do.
    /// </summary>
    private const string NaaPrefix = "6001405";

    /// <summary>Serial: <c>BP</c> + volume id in hex + 8 random hex digits, ≤ 36 characters (tgt's limit).</summary>
    public static string NewSerial(long volumeId)
    {
        Span<byte> r = stackalloc byte[4];
        RandomNumberGenerator.Fill(r);
        return string.Create(CultureInfo.InvariantCulture, $"BP{volumeId:X8}{Convert.ToHexString(r)}");
    }

    /// <summary>32 lower-case hex digits: NAA 6, then 124 bits of which 100 are random.</summary>
    public static string NewWwn()
    {
        Span<byte> r = stackalloc byte[13];
        RandomNumberGenerator.Fill(r);
        var hex = Convert.ToHexStringLower(r);
        return (NaaPrefix + hex)[..32];
    }

    public static bool IsValidWwn(string? wwn) =>
        wwn is { Length: 32 } && wwn[0] == '6' && wwn.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
