using System.Buffers.Binary;

namespace BladeProvisioner.Storage.Partitioning;

/// <summary>
/// CRC-32 as used by GPT (UEFI 2.10 §5.3.2): the IEEE 802.3 polynomial, reflected (0xEDB88320), initial value and
/// final XOR 0xFFFFFFFF. Slicing-by-8 so a 16 KiB partition entry array costs microseconds.
/// </summary>
public static class Crc32
{
    private const uint Polynomial = 0xEDB88320u;

    // Table[k][b]: the CRC of byte b followed by k zero bytes.
    private static readonly uint[][] Table = BuildTable();

    /// <summary>The CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(0xFFFFFFFFu, data);

    /// <summary>Continues <paramref name="crc"/> (a finished CRC of earlier bytes) over <paramref name="more"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> more) => ~Update(~crc, more);

    private static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        var t0 = Table[0];
        var t1 = Table[1];
        var t2 = Table[2];
        var t3 = Table[3];
        var t4 = Table[4];
        var t5 = Table[5];
        var t6 = Table[6];
        var t7 = Table[7];
        var i = 0;
        while (data.Length - i >= 8)
        {
            var lo = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i, 4)) ^ crc;
            var hi = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i + 4, 4));
            crc = t7[lo & 0xFF] ^ t6[(lo >> 8) & 0xFF] ^ t5[(lo >> 16) & 0xFF] ^ t4[lo >> 24]
                ^ t3[hi & 0xFF] ^ t2[(hi >> 8) & 0xFF] ^ t1[(hi >> 16) & 0xFF] ^ t0[hi >> 24];
            i += 8;
        }

        for (; (uint)i < (uint)data.Length; i++)
        {
            crc = t0[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    private static uint[][] BuildTable()
    {
        var table = new uint[8][];
        for (var k = 0; k < 8; k++)
        {
            table[k] = new uint[256];
        }

        for (uint b = 0; b < 256; b++)
        {
            var c = b;
            for (var bit = 0; bit < 8; bit++)
            {
                c = (c & 1) != 0 ? Polynomial ^ (c >> 1) : c >> 1;
            }

            table[0][b] = c;
        }

        for (var b = 0; b < 256; b++)
        {
            for (var k = 1; k < 8; k++)
            {
                var prev = table[k - 1][b];
                table[k][b] = table[0][prev & 0xFF] ^ (prev >> 8);
            }
        }

        return table;
    }
}
