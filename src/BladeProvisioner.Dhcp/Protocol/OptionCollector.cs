namespace BladeProvisioner.Dhcp.Protocol;

/// <summary>
/// Option slots found while walking the option areas; repeated codes are concatenated (RFC 3396). Joining is linear
/// in the datagram: one pass sums each code's pieces, one allocation per split option, one copy of every byte (a
/// 64 KiB datagram of 3-byte pieces of one option is about 21,800 pieces: joining them pairwise would copy ~237 MB).
/// </summary>
internal struct OptionCollector(int packetLength)
{
    private (byte Code, int Offset, int Length)[] _slots = new (byte, int, int)[Math.Min(64, (packetLength / 2) + 1)];
    private int _count;

    public byte Overload { get; set; }

    public void Add(byte code, int offset, int length)
    {
        if (_count == _slots.Length)
        {
            Array.Resize(ref _slots, _slots.Length * 2);
        }

        _slots[_count++] = (code, offset, length);
    }

    public readonly DhcpOption[] Build(byte[] packet)
    {
        // Per code: pieces and total length, and where its option sits in the result (order of first appearance).
        Span<int> pieces = stackalloc int[256];
        Span<int> total = stackalloc int[256];
        Span<int> position = stackalloc int[256];
        pieces.Clear();
        total.Clear();
        var distinct = 0;
        for (var i = 0; i < _count; i++)
        {
            var (code, _, length) = _slots[i];
            if (pieces[code]++ == 0)
            {
                position[code] = distinct++;
            }

            total[code] += length;
        }

        var result = new DhcpOption[distinct];
        byte[]?[]? joined = null; // only packets with a split option need it
        Span<int> filled = stackalloc int[256];
        filled.Clear();
        for (var i = 0; i < _count; i++)
        {
            var (code, offset, length) = _slots[i];
            if (pieces[code] == 1)
            {
                result[position[code]] = new DhcpOption(code, packet.AsMemory(offset, length));
                continue;
            }

            joined ??= new byte[]?[256];
            var value = joined[code] ??= new byte[total[code]];
            packet.AsSpan(offset, length).CopyTo(value.AsSpan(filled[code]));
            filled[code] += length;
            if (filled[code] == total[code])
            {
                result[position[code]] = new DhcpOption(code, value);
            }
        }

        return result;
    }
}
