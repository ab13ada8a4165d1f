using System.Buffers.Binary;
using System.Text;

namespace BladeProvisioner.Dhcp.Protocol;

/// <summary>
/// Writes a BOOTREPLY (RFC 2131 §2, §4.3) into a caller's buffer. Options that would not fit under the size limit
/// are left out rather than truncated; END is always written; the packet is padded to the 300-byte BOOTP minimum.
/// </summary>
internal ref struct DhcpReplyWriter
{
    public const int MinimumLength = 300;
    private readonly Span<byte> _buffer;
    private readonly int _limit;
    private int _position;

    public DhcpReplyWriter(Span<byte> buffer, DhcpMessage request, DhcpMessageType type, int maxLength)
    {
        _buffer = buffer;
        _limit = Math.Min(buffer.Length, Math.Max(maxLength, 576)) - 1; // room for END
        _buffer[..DhcpParser.OptionsOffset].Clear();
        _buffer[0] = 2; // BOOTREPLY
        _buffer[1] = 1;
        _buffer[2] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(_buffer[4..], request.TransactionId);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[10..], request.Flags);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer[24..], request.RelayAddress);
        request.ClientHardwareField.CopyTo(_buffer[28..]);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer[DhcpParser.FixedHeaderLength..], DhcpParser.MagicCookie);
        _position = DhcpParser.OptionsOffset;
        WriteByte(DhcpOptionCode.MessageType, (byte)type);
    }

    public readonly void SetClientAddress(uint address) => BinaryPrimitives.WriteUInt32BigEndian(_buffer[12..], address);

    public readonly void SetYourAddress(uint address) => BinaryPrimitives.WriteUInt32BigEndian(_buffer[16..], address);

    public readonly void SetServerAddress(uint address) => BinaryPrimitives.WriteUInt32BigEndian(_buffer[20..], address);

    public readonly void SetBroadcastFlag() => _buffer[10] |= 0x80;

    /// <summary>The BOOTP 'file' field (128 bytes, NUL terminated); too-long names are left out.</summary>
    public readonly void SetBootFile(string? file) => WriteField(108, 128, file);

    public readonly void SetServerName(string? name) => WriteField(44, 64, name);

    public bool WriteOption(byte code, scoped ReadOnlySpan<byte> value)
    {
        if (value.Length > 255 || _position + 2 + value.Length > _limit)
        {
            return false;
        }

        _buffer[_position] = code;
        _buffer[_position + 1] = (byte)value.Length;
        value.CopyTo(_buffer[(_position + 2)..]);
        _position += 2 + value.Length;
        return true;
    }

    public bool WriteByte(byte code, byte value) => WriteOption(code, [value]);

    public bool WriteUInt32(byte code, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        return WriteOption(code, b);
    }

    public bool WriteAddresses(byte code, scoped ReadOnlySpan<uint> addresses)
    {
        if (addresses.IsEmpty || addresses.Length > 63)
        {
            return false;
        }

        Span<byte> b = stackalloc byte[addresses.Length * 4];
        for (int i = 0; i < addresses.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b[(i * 4)..], addresses[i]);
        }

        return WriteOption(code, b);
    }

    public bool WriteString(byte code, string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 255)
        {
            return false;
        }

        Span<byte> b = stackalloc byte[Encoding.ASCII.GetByteCount(value)];
        Encoding.ASCII.GetBytes(value, b);
        return WriteOption(code, b);
    }

    /// <summary>Writes END and padding; returns the packet length.</summary>
    public int Finish()
    {
        _buffer[_position++] = DhcpOptionCode.End;
        if (_position < MinimumLength)
        {
            _buffer[_position..MinimumLength].Clear();
            _position = MinimumLength;
        }

        return _position;
    }

    private readonly void WriteField(int offset, int length, string? value)
    {
        var field = _buffer.Slice(offset, length);
        field.Clear();
        if (!string.IsNullOrEmpty(value) && Encoding.ASCII.GetByteCount(value) < length)
        {
            Encoding.ASCII.GetBytes(value, field);
        }
    }
}
