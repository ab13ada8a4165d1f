using BladeProvisioner.Tftp.Files;
using BladeProvisioner.Tftp.Protocol;

namespace BladeProvisioner.Tftp.Server;

internal enum TriageAction
{
    /// <summary>Not worth an answer (too short to be TFTP, or an ERROR/OACK that must never be answered).</summary>
    Drop,

    /// <summary>Answer with an ERROR packet.</summary>
    Refuse,

    /// <summary>A read request to serve.</summary>
    Serve,
}

/// <summary>The verdict on one datagram arriving at the listening port.</summary>
internal readonly record struct TriageResult(TriageAction Action, TftpErrorCode Code, string Message, TftpRequest? Request, bool Malformed);

/// <summary>
/// Decides what the listening port does with a datagram, without I/O: the whole untrusted-input surface of the
/// well-known port in one pure function, which is what the fuzz test drives.
/// </summary>
internal static class RequestTriage
{
    public static TriageResult Evaluate(ReadOnlySpan<byte> packet, int maxPathLength)
    {
        var status = TftpRequestParser.Parse(packet, out var request);
        if (status != TftpParseStatus.Ok)
        {
            return status switch
            {
                TftpParseStatus.TooShort => new(TriageAction.Drop, default, "packet shorter than an opcode", null, true),
                TftpParseStatus.NotARequest when IsNeverAnswered(packet) => new(TriageAction.Drop, default, "ERROR/OACK on the listening port", null, true),
                TftpParseStatus.NotARequest => Refuse(TftpErrorCode.UnknownTransferId, "unknown transfer ID", malformed: true),
                TftpParseStatus.UnknownOpcode => Refuse(TftpErrorCode.IllegalOperation, "illegal TFTP operation", malformed: true),
                TftpParseStatus.FileNameHasEmbeddedNul => Refuse(TftpErrorCode.AccessViolation, TftpPathPolicy.Describe(TftpPathVerdict.ContainsNul), malformed: true),
                TftpParseStatus.FileNameHasInvalidCharacter => Refuse(TftpErrorCode.AccessViolation, "file name must be printable ASCII", malformed: true),
                TftpParseStatus.DuplicateOption => Refuse(TftpErrorCode.OptionNegotiationFailed, "duplicate option", malformed: true),
                TftpParseStatus.UnknownMode => Refuse(TftpErrorCode.IllegalOperation, "unknown transfer mode", malformed: true),
                _ => Refuse(TftpErrorCode.IllegalOperation, $"malformed request ({status})", malformed: true),
            };
        }

        if (request!.Opcode == TftpOpcode.WriteRequest)
        {
            return Refuse(TftpErrorCode.AccessViolation, "write requests are refused: this server is read-only", malformed: false, request);
        }

        if (request.Mode == TftpMode.Mail)
        {
            return Refuse(TftpErrorCode.IllegalOperation, "mail mode is not supported", malformed: false, request);
        }

        var verdict = TftpPathPolicy.Check(request.FileName, maxPathLength);
        if (verdict != TftpPathVerdict.Ok)
        {
            return Refuse(TftpErrorCode.AccessViolation, TftpPathPolicy.Describe(verdict), malformed: false, request);
        }

        return new TriageResult(TriageAction.Serve, default, string.Empty, request, false);
    }

    private static bool IsNeverAnswered(ReadOnlySpan<byte> packet) =>
        TftpPacket.TryReadOpcode(packet, out var opcode) && opcode is TftpOpcode.Error or TftpOpcode.OptionAck;

    private static TriageResult Refuse(TftpErrorCode code, string message, bool malformed, TftpRequest? request = null) =>
        new(TriageAction.Refuse, code, message, request, malformed);
}
