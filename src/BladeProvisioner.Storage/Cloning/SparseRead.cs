using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace BladeProvisioner.Storage.Cloning;

/// <summary>Reading sparse files: exact reads, and hashing a range with its holes fed in as zeros.</summary>
internal static class SparseRead
{
    private static readonly byte[] Zeros = new byte[1 << 20];

    /// <summary>Feeds a range of a sparse file to <paramref name="hash"/>, holes as zeros.</summary>
    internal static void HashRange(SafeFileHandle file, long fileOffset, long length, IncrementalHash hash)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(8 << 20);
        try
        {
            var end = fileOffset + length;
            var pos = fileOffset;
            while (pos < end)
            {
                var data = LinuxFile.NextData(file, pos, end);
                HashZeros(hash, data - pos);
                pos = data;
                var hole = LinuxFile.NextHole(file, pos, end);
                while (pos < hole)
                {
                    var span = buffer.AsSpan(0, (int)Math.Min(buffer.Length, hole - pos));
                    ReadExactly(file, span, pos);
                    hash.AppendData(span);
                    pos += span.Length;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static void ReadExactly(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        while (!buffer.IsEmpty)
        {
            var n = RandomAccess.Read(file, buffer, offset);
            if (n <= 0)
            {
                // The file shrank under us; a donor version is immutable, so this is a real fault.
                throw new IOException($"Unexpected end of file at offset {offset}.");
            }

            buffer = buffer[n..];
            offset += n;
        }
    }

    internal static void HashZeros(IncrementalHash? hash, long count)
    {
        while (hash is not null && count > 0)
        {
            var n = (int)Math.Min(count, Zeros.Length);
            hash.AppendData(Zeros, 0, n);
            count -= n;
        }
    }
}
