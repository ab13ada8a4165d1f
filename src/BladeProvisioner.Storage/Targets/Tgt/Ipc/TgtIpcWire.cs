using System.Buffers.Binary;
using System.Text;

namespace BladeProvisioner.Storage.Targets.Tgt.Ipc;

/// <summary>What <see cref="TgtIpcWire.TryReadResponseHeader"/> found.</summary>
internal enum TgtIpcResponseStatus
{
    Ok,
    Truncated,
    BadLength,
}

/// <summary>
/// tgtd's management wire format (tgt 1.0.85 usr/tgtadm.h, usr/mgmt.c). Both structs are sent in the host's byte order
/// with natural alignment (x86-64 and arm64 alike):
/// <code>
/// struct tgtadm_req { int32 mode; int32 op; char lld[64]; uint32 len; int32 tid; uint64 sid; uint64 lun;
///                     uint32 cid; uint32 host_no; uint32 device_type; uint32 ac_dir; uint32 pack; uint32 force; }  // 120 bytes
/// struct tgtadm_rsp { uint32 err; uint32 len; }                                                                  // 8 bytes
/// </code>
/// <c>req.len</c> counts the header plus the body, the body being <c>key=value</c> pairs joined by commas and ended
/// by a NUL (concat_buf_finish counts it); tgtd drops a request whose body exceeds 8 KiB (MAX_MGT_BUFSIZE).
/// <c>rsp.len</c> counts the header plus the text that follows (for show), also NUL-ended.
/// </summary>
internal static class TgtIpcWire
{
    public const int RequestHeaderLength = 120;
    public const int ResponseHeaderLength = 8;
    public const int LldLength = 64;

    /// <summary>tgtd's MAX_MGT_BUFSIZE.</summary>
    public const int MaxRequestBody = 8 * 1024;

    /// <summary>A show of thousands of targets stays far below this; more is a broken peer.</summary>
    public const int MaxResponseBody = 64 * 1024 * 1024;

    private const int TypeDisk = 0;

    /// <summary>Bytes of the encoded request, or -1 when a value would break tgtd's parsing or the body is too long.</summary>
    public static int EncodedLength(TgtIpcRequest request, string lld)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Encoding.ASCII.GetByteCount(lld) >= LldLength || !lld.All(char.IsAsciiLetterOrDigit))
        {
            return -1;
        }

        int body = 0;
        foreach (var (key, value) in request.Parameters)
        {
            if (!IsPlain(key) || key.Contains('=', StringComparison.Ordinal) || !IsPlain(value))
            {
                return -1;
            }

            body += (body == 0 ? 0 : 1) + Encoding.UTF8.GetByteCount(key) + 1 + Encoding.UTF8.GetByteCount(value);
        }

        if (request.Password is { } password)
        {
            // tgtd takes everything after "password=" up to the NUL, so only a NUL would cut it.
            if (password.Length == 0 || password.Contains('\0', StringComparison.Ordinal) || request.Parameters.Count == 0)
            {
                return -1;
            }

            body += ",password=".Length + Encoding.UTF8.GetByteCount(password);
        }

        if (body > 0)
        {
            body++; // the NUL
        }

        return body > MaxRequestBody ? -1 : RequestHeaderLength + body;
    }

    /// <summary>Writes the request into <paramref name="destination"/>, which must hold <see cref="EncodedLength"/> bytes.</summary>
    public static bool TryWriteRequest(TgtIpcRequest request, string lld, Span<byte> destination, out int written)
    {
        written = 0;
        int length = EncodedLength(request, lld);
        if (length < 0 || destination.Length < length)
        {
            return false;
        }

        var header = destination[..RequestHeaderLength];
        header.Clear();
        WriteInt32(header[0..], (int)request.Mode);
        WriteInt32(header[4..], (int)request.Op);
        Encoding.ASCII.GetBytes(lld, header[8..(8 + LldLength)]);
        WriteUInt32(header[72..], (uint)length);
        WriteInt32(header[76..], request.Tid);
        WriteUInt64(header[80..], 0); // sid
        WriteUInt64(header[88..], request.Lun);
        WriteUInt32(header[96..], 0); // cid
        WriteUInt32(header[100..], 0); // host_no
        WriteUInt32(header[104..], TypeDisk);
        WriteUInt32(header[108..], request.Outgoing ? 1u : 0u);
        WriteUInt32(header[112..], 0); // pack
        WriteUInt32(header[116..], request.Force ? 1u : 0u);

        int at = RequestHeaderLength;
        foreach (var (key, value) in request.Parameters)
        {
            if (at > RequestHeaderLength)
            {
                destination[at++] = (byte)',';
            }

            at += Encoding.UTF8.GetBytes(key, destination[at..]);
            destination[at++] = (byte)'=';
            at += Encoding.UTF8.GetBytes(value, destination[at..]);
        }

        if (request.Password is { } password)
        {
            at += Encoding.ASCII.GetBytes(",password=", destination[at..]);
            at += Encoding.UTF8.GetBytes(password, destination[at..]);
        }

        if (at > RequestHeaderLength)
        {
            destination[at++] = 0;
        }

        written = at;
        return at == length;
    }

    /// <summary>Reads <c>tgtadm_rsp</c>; <paramref name="bodyLength"/> is what follows it on the socket.</summary>
    public static TgtIpcResponseStatus TryReadResponseHeader(ReadOnlySpan<byte> source, out TgtIpcError error, out int bodyLength)
    {
        error = TgtIpcError.UnknownError;
        bodyLength = 0;
        if (source.Length < ResponseHeaderLength)
        {
            return TgtIpcResponseStatus.Truncated;
        }

        uint err = ReadUInt32(source);
        uint len = ReadUInt32(source[4..]);
        if (len < ResponseHeaderLength || len - ResponseHeaderLength > MaxResponseBody)
        {
            return TgtIpcResponseStatus.BadLength;
        }

        error = err <= (uint)TgtIpcError.PreventRemoval ? (TgtIpcError)err : TgtIpcError.UnknownError;
        bodyLength = (int)(len - ResponseHeaderLength);
        return TgtIpcResponseStatus.Ok;
    }

    /// <summary>The response text without its terminating NUL (and anything after one).</summary>
    public static string DecodeBody(ReadOnlySpan<byte> body)
    {
        int nul = body.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? body[..nul] : body);
    }

    // A comma would start another pair and a NUL would end the body early, so neither may appear in a value.
    private static bool IsPlain(string s) => !s.Contains(',', StringComparison.Ordinal) && !s.Contains('\0', StringComparison.Ordinal);

    private static void WriteInt32(Span<byte> d, int v)
    {
        if (BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.WriteInt32LittleEndian(d, v);
        }
        else
        {
            BinaryPrimitives.WriteInt32BigEndian(d, v);
        }
    }

    private static void WriteUInt32(Span<byte> d, uint v) => WriteInt32(d, unchecked((int)v));

    private static void WriteUInt64(Span<byte> d, ulong v)
    {
        if (BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(d, v);
        }
        else
        {
            BinaryPrimitives.WriteUInt64BigEndian(d, v);
        }
    }

    private static uint ReadUInt32(ReadOnlySpan<byte> s) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);
}
