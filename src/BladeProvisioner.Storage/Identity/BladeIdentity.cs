using System.Security.Cryptography;
using System.Text;

namespace BladeProvisioner.Storage.Identity;

/// <summary>
/// Who the OS on a blade's volume is to be. <see cref="MachineId"/> is derived from the volume's identifier seed (kept
/// with the clone job), so personalising the same volume again after an interruption writes the same id, and two
/// volumes never share one.
/// </summary>
public sealed record BladeIdentity(string Hostname, string InitiatorIqn, IReadOnlyList<byte> Seed)
{
    /// <summary>32 lowercase hex digits, shaped as a version 4 UUID like the ids systemd makes.</summary>
    public string MachineId
    {
        get
        {
            var bytes = HMACSHA256.HashData(Seed.ToArray(), Encoding.ASCII.GetBytes("machine-id"))[..16];
            bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
            bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
            return Convert.ToHexStringLower(bytes);
        }
    }
}
