using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace BladeProvisioner.Storage.Partitioning;

/// <summary>
/// The new disk identifiers personalisation writes. With a seed they are derived from it (SHA-256 of the seed and
/// what the identifier is for), so personalising the same volume again writes the same bytes: a resumed clone gets
/// the identifiers its first attempt wrote, not a second set. Without a seed they are random.
/// </summary>
internal sealed class DiskIdentifiers(byte[]? seed)
{
    public Guid Guid(string purpose)
    {
        if (seed is null)
        {
            return System.Guid.NewGuid();
        }

        Span<byte> bytes = stackalloc byte[16];
        Derive(purpose, 0, bytes);
        // An RFC 9562 version 4 layout (random-looking), like the GUIDs partitioning tools write.
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    /// <summary>
    /// A non-zero MBR disk signature. A random one also differs from <paramref name="old"/>; a derived one cannot look
    /// at the volume (on a second run that is the signature the first run wrote), so it differs from the donor's with
    /// odds of 2^-32 only.
    /// </summary>
    public uint MbrSignature(uint old)
    {
        Span<byte> bytes = stackalloc byte[4];
        for (var counter = 0; ; counter++)
        {
            if (seed is null)
            {
                RandomNumberGenerator.Fill(bytes);
            }
            else
            {
                Derive("mbr-signature", counter, bytes);
            }

            var value = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
            if (value != 0 && (seed is not null || value != old))
            {
                return value;
            }
        }
    }

    private void Derive(string purpose, int counter, Span<byte> into)
    {
        var label = Encoding.UTF8.GetBytes($"bladeprovisioner/{purpose}/{counter}");
        var input = new byte[seed!.Length + label.Length];
        seed.CopyTo(input, 0);
        label.CopyTo(input, seed.Length);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(input, digest);
        digest[..into.Length].CopyTo(into);
    }
}
