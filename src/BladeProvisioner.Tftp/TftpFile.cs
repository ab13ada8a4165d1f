using Microsoft.Win32.SafeHandles;

namespace BladeProvisioner.Tftp;

/// <summary>
/// Content served to one transfer: bytes held in memory (generated files) or an open file read with positional
/// reads. The transfer disposes it when it ends.
/// </summary>
public sealed class TftpFile : IDisposable
{
    private readonly SafeFileHandle? _handle;
    private readonly ReadOnlyMemory<byte> _content;

    private TftpFile(SafeFileHandle? handle, ReadOnlyMemory<byte> content, long length)
    {
        _handle = handle;
        _content = content;
        Length = length;
    }

    /// <summary>Size in bytes when the transfer started (the octet-mode tsize).</summary>
    public long Length { get; }

    public static TftpFile FromBytes(ReadOnlyMemory<byte> content) => new(null, content, content.Length);

    /// <summary>Serves an open, readable regular file; takes ownership of <paramref name="handle"/>.</summary>
    public static TftpFile FromHandle(SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        return new TftpFile(handle, default, RandomAccess.GetLength(handle));
    }

    public void Dispose() => _handle?.Dispose();

    /// <summary>Reads at <paramref name="offset"/>; fewer bytes than asked only at end of file.</summary>
    internal int ReadAt(long offset, Span<byte> destination)
    {
        if (_handle is null)
        {
            if (offset >= _content.Length)
            {
                return 0;
            }

            var available = _content.Span[(int)offset..];
            var count = Math.Min(available.Length, destination.Length);
            available[..count].CopyTo(destination);
            return count;
        }

        var total = 0;
        while (total < destination.Length)
        {
            var read = RandomAccess.Read(_handle, destination[total..], offset + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    /// <summary>Scatter read into consecutive buffers (one preadv for a whole window); fills each before the next.</summary>
    internal int ReadAt(long offset, IReadOnlyList<Memory<byte>> destinations)
    {
        var total = 0;
        var requested = 0;
        for (var i = 0; i < destinations.Count; i++)
        {
            requested += destinations[i].Length;
        }

        if (_handle is not null && destinations.Count > 1)
        {
            total = (int)RandomAccess.Read(_handle, destinations, offset);
            if (total == requested || total == 0)
            {
                return total;
            }
        }

        // Finish (or do) the read buffer by buffer: a short scatter read, or in-memory content.
        var skipped = 0;
        for (var i = 0; i < destinations.Count; i++)
        {
            var d = destinations[i];
            if (skipped + d.Length <= total)
            {
                skipped += d.Length;
                continue;
            }

            var within = total - skipped;
            var read = ReadAt(offset + total, d.Span[within..]);
            total += read;
            skipped += d.Length;
            if (within + read < d.Length)
            {
                break;
            }
        }

        return total;
    }
}
