namespace BladeProvisioner.Dhcp.Protocol;

/// <summary>Option slots found while walking the option areas; repeated codes are concatenated (RFC 3396).</summary>
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
        var result = new List<DhcpOption>(_count);
        for (int i = 0; i < _count; i++)
        {
            var (code, offset, length) = _slots[i];
            int existing = result.FindIndex(o => o.Code == code);
            if (existing < 0)
            {
                result.Add(new DhcpOption(code, packet.AsMemory(offset, length)));
            }
            else
            {
                var prior = result[existing].Value;
                var joined = new byte[prior.Length + length];
                prior.Span.CopyTo(joined);
                packet.AsSpan(offset, length).CopyTo(joined.AsSpan(prior.Length));
                result[existing] = new DhcpOption(code, joined);
            }
        }

        return [.. result];
    }
}
