using System.Buffers;
using System.Collections;
using BladeProvisioner.Tftp.Protocol;

namespace BladeProvisioner.Tftp.Transfer;

/// <summary>
/// One window of DATA packets, each laid out as header + payload in a pooled buffer, so a window is filled with
/// one scatter read and sent packet by packet without copying. Also the list of payload slices the read fills.
/// </summary>
internal sealed class WindowBuffer : IReadOnlyList<Memory<byte>>, IDisposable
{
    private readonly byte[] _buffer;
    private readonly int _slotSize;
    private readonly int[] _lengths;
    private int _count;

    public WindowBuffer(int blockSize, int windowSize)
    {
        BlockSize = blockSize;
        Capacity = windowSize;
        _slotSize = TftpPacket.HeaderLength + blockSize;
        _buffer = ArrayPool<byte>.Shared.Rent(_slotSize * windowSize);
        _lengths = new int[windowSize];
    }

    public int BlockSize { get; }

    public int Capacity { get; }

    /// <summary>Payload slices offered to the next read.</summary>
    public int Count => _count;

    public Memory<byte> this[int index] => _buffer.AsMemory((index * _slotSize) + TftpPacket.HeaderLength, BlockSize);

    /// <summary>
    /// Reads up to <paramref name="blocks"/> blocks starting at block <paramref name="firstBlock"/> (1-based, absolute)
    /// and writes their headers. Returns the number of packets; the last one is short when the transfer ends in this window.
    /// </summary>
    public int Fill(TransferSource source, long firstBlock, int blocks, out bool endsTransfer)
    {
        _count = blocks;
        var total = source.Read((firstBlock - 1) * BlockSize, this);
        var packets = 0;
        endsTransfer = false;
        for (var i = 0; i < blocks; i++)
        {
            var payload = Math.Clamp(total - (i * BlockSize), 0, BlockSize);
            TftpPacket.WriteDataHeader(_buffer.AsSpan(i * _slotSize), unchecked((ushort)(firstBlock + i)));
            _lengths[i] = TftpPacket.HeaderLength + payload;
            packets++;
            if (payload < BlockSize)
            {
                endsTransfer = true;
                break;
            }
        }

        return packets;
    }

    public ReadOnlyMemory<byte> Packet(int index) => _buffer.AsMemory(index * _slotSize, _lengths[index]);

    /// <summary>Bytes from one packet slot to the next: the segment size when a run of packets goes out as one UDP GSO send.</summary>
    public int SlotSize => _slotSize;

    /// <summary>Packets <paramref name="first"/>..first+count-1 as one contiguous run (all full-size but possibly the last).</summary>
    public ReadOnlySpan<byte> Run(int first, int count) =>
        _buffer.AsSpan(first * _slotSize, ((count - 1) * _slotSize) + _lengths[first + count - 1]);

    public IEnumerator<Memory<byte>> GetEnumerator()
    {
        for (var i = 0; i < _count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
}
