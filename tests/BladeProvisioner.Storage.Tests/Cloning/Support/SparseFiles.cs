using BladeProvisioner.Storage.Cloning;
using Microsoft.Win32.SafeHandles;

namespace BladeProvisioner.Storage.Tests.Cloning.Support;

internal static class SparseFiles
{
    public const long MiB = 1 << 20;

    /// <summary>
    /// A sparse file of holes, random data, explicitly written zero blocks (allocated but all zero) and an unaligned
    /// tail: 48 MiB + 1000 bytes, about 11 MiB of it data.
    /// </summary>
    public static void CreateMixed(string path, int seed = 1)
    {
        var random = new Random(seed);
        using var file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        var size = (48 * MiB) + 1000;
        RandomAccess.SetLength(file, size);

        // 1..9 MiB: data with zero blocks inside it.
        var data = new byte[8 * MiB];
        random.NextBytes(data);
        foreach (var block in new[] { 0, 1, 7, 100, 101, 102, 1000, 2047 })
        {
            data.AsSpan(block * 4096, 4096).Clear();
        }

        RandomAccess.Write(file, data, 1 * MiB);

        // 12..13 MiB: a whole MiB of written zeros (allocated in the source, must be a hole in the copy).
        RandomAccess.Write(file, new byte[MiB], 12 * MiB);

        // 20 MiB + 16 KiB of data, then 30 MiB..32 MiB + 512 bytes (unaligned end of an extent).
        var small = new byte[16 * 1024];
        random.NextBytes(small);
        RandomAccess.Write(file, small, 20 * MiB);
        var mid = new byte[(2 * MiB) + 512];
        random.NextBytes(mid);
        RandomAccess.Write(file, mid, 30 * MiB);

        // The last 1000 bytes.
        var tail = new byte[1000];
        random.NextBytes(tail);
        RandomAccess.Write(file, tail, size - 1000);
    }

    /// <summary>A file of <paramref name="dataBytes"/> random bytes (optionally inside a larger sparse size).</summary>
    public static void CreateData(string path, long dataBytes, long size = 0, int seed = 2)
    {
        var random = new Random(seed);
        using var file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        RandomAccess.SetLength(file, Math.Max(size, dataBytes));
        var chunk = new byte[4 * MiB];
        for (long pos = 0; pos < dataBytes; pos += chunk.Length)
        {
            random.NextBytes(chunk);
            RandomAccess.Write(file, chunk.AsSpan(0, (int)Math.Min(chunk.Length, dataBytes - pos)), pos);
        }
    }

    /// <summary>Asserts <paramref name="copy"/> holds <paramref name="original"/>'s bytes starting at <paramref name="copyOffset"/>.</summary>
    public static void AssertSameBytes(string original, string copy, long copyOffset = 0)
    {
        using var a = File.OpenHandle(original);
        using var b = File.OpenHandle(copy);
        var length = RandomAccess.GetLength(a);
        Assert.True(RandomAccess.GetLength(b) >= copyOffset + length, "the copy is shorter than the original");
        var bufA = new byte[4 * MiB];
        var bufB = new byte[4 * MiB];
        for (long pos = 0; pos < length; pos += bufA.Length)
        {
            var n = (int)Math.Min(bufA.Length, length - pos);
            Read(a, bufA.AsSpan(0, n), pos);
            Read(b, bufB.AsSpan(0, n), copyOffset + pos);
            if (!bufA.AsSpan(0, n).SequenceEqual(bufB.AsSpan(0, n)))
            {
                var i = bufA.AsSpan(0, n).CommonPrefixLength(bufB.AsSpan(0, n));
                Assert.Fail($"bytes differ at source offset {pos + i}");
            }
        }
    }

    /// <summary>True when [offset, offset+length) of the file is one hole.</summary>
    public static bool IsHole(string path, long offset, long length)
    {
        using var f = File.OpenHandle(path);
        return LinuxFile.NextData(f, offset, RandomAccess.GetLength(f)) >= offset + length;
    }

    public static void Read(SafeFileHandle f, Span<byte> buffer, long offset)
    {
        while (!buffer.IsEmpty)
        {
            var n = RandomAccess.Read(f, buffer, offset);
            Assert.True(n > 0, "unexpected end of file");
            buffer = buffer[n..];
            offset += n;
        }
    }
}
