using System.Buffers.Binary;

namespace BladeProvisioner.Web.Tests.Uploads;

/// <summary>
/// A read-only stream of <see cref="Length"/> pseudo-random bytes that can start at any offset (each 8-byte word is a
/// hash of its position), so a test can send gigabytes, cut the connection, and resume without keeping anything.
/// Optionally cancels a token once <see cref="CutAfter"/> bytes have been produced, to cut a request mid-body.
/// </summary>
internal sealed class PatternStream(long start, long length, long? cutAfter = null, CancellationTokenSource? cut = null) : Stream
{
    private long _position = start;

    public override long Length => length;
    public long? CutAfter => cutAfter;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public static void Fill(long offset, Span<byte> buffer)
    {
        Span<byte> word = stackalloc byte[8];
        var i = 0;
        while (i < buffer.Length)
        {
            var pos = offset + i;
            var x = (ulong)(pos >> 3) * 0x9E3779B97F4A7C15UL;
            x ^= x >> 29;
            x *= 0xBF58476D1CE4E5B9UL;
            x ^= x >> 32;
            BinaryPrimitives.WriteUInt64LittleEndian(word, x);
            var within = (int)(pos & 7);
            var take = Math.Min(8 - within, buffer.Length - i);
            word.Slice(within, take).CopyTo(buffer[i..]);
            i += take;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, length - _position);
        if (n <= 0)
        {
            return 0;
        }

        if (cutAfter is { } limit && cut is not null && _position >= limit)
        {
            cut.Cancel();
            throw new OperationCanceledException("connection cut by the test");
        }

        Fill(_position, buffer[..n]);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
