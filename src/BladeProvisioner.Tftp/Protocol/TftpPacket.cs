using System.Buffers.Binary;
using System.Text;

namespace BladeProvisioner.Tftp.Protocol;

/// <summary>Reads the small fixed-layout packets (ACK, ERROR) and writes the server's packets, RFC 1350 §5.</summary>
internal static class TftpPacket
{
    public const int HeaderLength = 4;

    /// <summary>Longest error message sent; keeps an error inside one small datagram.</summary>
    public const int MaxErrorMessageLength = 200;

    public static bool TryReadOpcode(ReadOnlySpan<byte> packet, out TftpOpcode opcode)
    {
        if (packet.Length < 2)
        {
            opcode = default;
            return false;
        }

        opcode = (TftpOpcode)BinaryPrimitives.ReadUInt16BigEndian(packet);
        return true;
    }

    /// <summary>ACK: opcode 4, block number. Extra trailing bytes are tolerated (some stacks pad).</summary>
    public static bool TryReadAck(ReadOnlySpan<byte> packet, out ushort block)
    {
        if (packet.Length < HeaderLength || BinaryPrimitives.ReadUInt16BigEndian(packet) != (ushort)TftpOpcode.Ack)
        {
            block = 0;
            return false;
        }

        block = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        return true;
    }

    /// <summary>ERROR: opcode 5, code, message (NUL-terminated; a missing NUL is tolerated, the packet ends it).</summary>
    public static bool TryReadError(ReadOnlySpan<byte> packet, out ushort code, out string message)
    {
        code = 0;
        message = string.Empty;
        if (packet.Length < HeaderLength || BinaryPrimitives.ReadUInt16BigEndian(packet) != (ushort)TftpOpcode.Error)
        {
            return false;
        }

        code = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        var text = packet[HeaderLength..];
        var end = text.IndexOf((byte)0);
        text = end >= 0 ? text[..end] : text;
        if (text.Length > MaxErrorMessageLength)
        {
            text = text[..MaxErrorMessageLength];
        }

        message = Encoding.ASCII.GetString(text);
        return true;
    }

    public static int WriteDataHeader(Span<byte> destination, ushort block)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)TftpOpcode.Data);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], block);
        return HeaderLength;
    }

    public static int WriteError(Span<byte> destination, TftpErrorCode code, string message)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)TftpOpcode.Error);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)code);
        var text = message.Length > MaxErrorMessageLength ? message[..MaxErrorMessageLength] : message;
        var written = Encoding.ASCII.GetBytes(text, destination[HeaderLength..]);
        destination[HeaderLength + written] = 0;
        return HeaderLength + written + 1;
    }

    public static byte[] Error(TftpErrorCode code, string message)
    {
        var buffer = new byte[HeaderLength + MaxErrorMessageLength + 1];
        var length = WriteError(buffer, code, message);
        return buffer[..length];
    }

    /// <summary>OACK, RFC 2347 §3: only the options the client asked for and the server accepted, in its order.</summary>
    public static byte[] OptionAck(IReadOnlyList<TftpOption> accepted)
    {
        var length = 2;
        foreach (var option in accepted)
        {
            length += option.Name.Length + option.Value.Length + 2;
        }

        var buffer = new byte[length];
        BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)TftpOpcode.OptionAck);
        var offset = 2;
        foreach (var option in accepted)
        {
            offset += Encoding.ASCII.GetBytes(option.Name, buffer.AsSpan(offset));
            buffer[offset++] = 0;
            offset += Encoding.ASCII.GetBytes(option.Value, buffer.AsSpan(offset));
            buffer[offset++] = 0;
        }

        return buffer;
    }
}
