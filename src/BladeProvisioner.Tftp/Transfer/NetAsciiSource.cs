namespace BladeProvisioner.Tftp.Transfer;

/// <summary>
/// Netascii (RFC 764, as used by RFC 1350): LF is sent as CR LF and a bare CR as CR NUL. The conversion is
/// stateless per byte, so the output is produced sequentially into a sliding buffer that keeps everything from
/// the oldest offset still needed by a window.
/// </summary>
internal sealed class NetAsciiSource(TftpFile file) : TransferSource
{
    private const int ChunkSize = 64 * 1024;

    private readonly byte[] _chunk = new byte[ChunkSize];
    private byte[] _converted = new byte[2 * ChunkSize];
    private long _convertedStart;
    private int _convertedLength;
    private long _rawPosition;
    private bool _rawEnded;

    public override long ComputeLength()
    {
        long length = 0;
        long offset = 0;
        var buffer = new byte[ChunkSize];
        int read;
        while ((read = file.ReadAt(offset, buffer)) > 0)
        {
            var span = buffer.AsSpan(0, read);
            length += read + span.Count((byte)'\n') + span.Count((byte)'\r');
            offset += read;
        }

        return length;
    }

    public override int Read(long offset, IReadOnlyList<Memory<byte>> destinations)
    {
        var wanted = 0;
        for (var i = 0; i < destinations.Count; i++)
        {
            wanted += destinations[i].Length;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(offset, _convertedStart);
        while (_convertedStart + _convertedLength < offset + wanted && !_rawEnded)
        {
            ConvertMore();
        }

        // Forget what lies before this read: windows never go back further.
        var drop = (int)Math.Min(offset - _convertedStart, _convertedLength);
        _converted.AsSpan(drop, _convertedLength - drop).CopyTo(_converted);
        _convertedLength -= drop;
        _convertedStart += drop;

        var available = _converted.AsSpan(0, _convertedLength);
        var total = 0;
        for (var i = 0; i < destinations.Count; i++)
        {
            var d = destinations[i];
            var count = Math.Min(d.Length, available.Length - total);
            available.Slice(total, count).CopyTo(d.Span);
            total += count;
            if (count < d.Length)
            {
                break;
            }
        }

        return total;
    }

    private void ConvertMore()
    {
        var read = file.ReadAt(_rawPosition, _chunk);
        if (read == 0)
        {
            _rawEnded = true;
            return;
        }

        _rawPosition += read;
        if (_converted.Length < _convertedLength + (2 * read))
        {
            Array.Resize(ref _converted, Math.Max(_converted.Length * 2, _convertedLength + (2 * read)));
        }

        var output = _converted.AsSpan(_convertedLength);
        var written = 0;
        foreach (var b in _chunk.AsSpan(0, read))
        {
            switch (b)
            {
                case (byte)'\n':
                    output[written++] = (byte)'\r';
                    output[written++] = (byte)'\n';
                    break;
                case (byte)'\r':
                    output[written++] = (byte)'\r';
                    output[written++] = 0;
                    break;
                default:
                    output[written++] = b;
                    break;
            }
        }

        _convertedLength += written;
    }
}
