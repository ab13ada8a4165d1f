namespace BladeProvisioner.Tftp.Transfer;

/// <summary>
/// The byte stream a transfer sends: the file itself (octet) or its netascii form. Reads fill the destination
/// buffers in order; fewer bytes than asked means the end was reached. Offsets never move backwards past the
/// start of the previous read (a window is re-read from its first unacknowledged block, never earlier).
/// </summary>
internal abstract class TransferSource
{
    public static TransferSource For(TftpFile file, bool netAscii) => netAscii ? new NetAsciiSource(file) : new OctetSource(file);

    /// <summary>Total bytes the transfer will send (tsize, RFC 2349).</summary>
    public abstract long ComputeLength();

    public abstract int Read(long offset, IReadOnlyList<Memory<byte>> destinations);
}

/// <summary>
/// Octet mode. Windows at least as large as the read-ahead go straight into the DATA packets with one scatter read;
/// smaller ones (lock-step above all) are served from a 64 KiB read-ahead, so a block costs no read of its own.
/// </summary>
internal sealed class OctetSource(TftpFile file) : TransferSource
{
    private const int ReadAhead = 64 * 1024;

    private byte[]? _cache;
    private long _cacheStart;
    private int _cacheLength;

    public override long ComputeLength() => file.Length;

    public override int Read(long offset, IReadOnlyList<Memory<byte>> destinations)
    {
        var wanted = 0;
        for (var i = 0; i < destinations.Count; i++)
        {
            wanted += destinations[i].Length;
        }

        if (wanted >= ReadAhead / 2)
        {
            return file.ReadAt(offset, destinations);
        }

        _cache ??= GC.AllocateUninitializedArray<byte>(ReadAhead);
        if (offset < _cacheStart || offset + wanted > _cacheStart + _cacheLength)
        {
            _cacheStart = offset;
            _cacheLength = file.ReadAt(offset, _cache);
        }

        var available = _cache.AsSpan((int)(offset - _cacheStart), _cacheLength - (int)(offset - _cacheStart));
        var total = 0;
        for (var i = 0; i < destinations.Count && total < available.Length; i++)
        {
            var d = destinations[i];
            var count = Math.Min(d.Length, available.Length - total);
            available.Slice(total, count).CopyTo(d.Span);
            total += count;
        }

        return total;
    }
}
