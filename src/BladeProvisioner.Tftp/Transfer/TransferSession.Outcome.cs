using System.Globalization;
using System.Net.Sockets;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Tftp.Protocol;
using BladeProvisioner.Tftp.Server;

namespace BladeProvisioner.Tftp.Transfer;

/// <summary>How a transfer ends: the error packet for a refusal, counters, one log line, one timeline record.</summary>
internal sealed partial class TransferSession
{
    private TftpErrorCode? _refusedWith;
    private string? _refusal;

    private string Refuse(TftpErrorCode code, string reason)
    {
        _refusedWith = code;
        _refusal = reason;
        TrySendError(code, reason);
        return code switch
        {
            TftpErrorCode.FileNotFound => "not-found",
            TftpErrorCode.AccessViolation => "access-violation",
            TftpErrorCode.OptionNegotiationFailed => "bad-options",
            _ => "refused",
        };
    }

    /// <summary>The lifetime cap ended the transfer: the client is told, the slot goes back.</summary>
    private string Expire()
    {
        var seconds = _context.Options.MaxTransferDuration.TotalSeconds;
        _context.Metrics.TransferExpired();
        TftpLog.TransferExpired(_context.Logger, Request.FileName, Client, seconds);
        TrySendError(TftpErrorCode.NotDefined, string.Create(CultureInfo.InvariantCulture, $"transfer took too long (over {seconds:0.#} s)"));
        return "expired";
    }

    private void TrySendError(TftpErrorCode code, string message)
    {
        try
        {
            _socket.Send(TftpPacket.Error(code, message));
        }
        catch (SocketException)
        {
            // The client is gone; the outcome already says why the transfer ended.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void Finish(string outcome, TimeSpan duration)
    {
        var completed = outcome == "completed";
        _context.Metrics.TransferEnded(completed);
        _ended();
        var durationMs = Math.Round(duration.TotalMilliseconds, 1);
        if (_refusedWith is { } code)
        {
            TftpLog.Refused(_context.Logger, Request.FileName, Client, code.ToString(), _refusal ?? string.Empty);
            _context.Timeline.Record(new TimelineRecord("tftp", "tftp.error", $"TFTP {Request.FileName} refused: {_refusal}")
            {
                Address = Client.Address,
                Details = new Dictionary<string, object?>
                {
                    ["file"] = Request.FileName,
                    ["code"] = (int)code,
                    ["error"] = _refusal,
                    ["outcome"] = outcome,
                },
            });
            return;
        }

        TftpLog.TransferEnded(_context.Logger, Request.FileName, Client, outcome, _delivered, _blockSize, _windowSize, _retransmits, durationMs);
        _context.Timeline.Record(new TimelineRecord(
            "tftp",
            "tftp.transfer",
            $"TFTP {Request.FileName} {outcome}: {_delivered} bytes in {durationMs} ms (blksize {_blockSize}, windowsize {_windowSize}, {_retransmits} retransmits)")
        {
            Address = Client.Address,
            Details = new Dictionary<string, object?>
            {
                ["file"] = Request.FileName,
                ["mode"] = Request.Mode == TftpMode.NetAscii ? "netascii" : "octet",
                ["size"] = _delivered,
                ["blksize"] = _blockSize,
                ["windowsize"] = _windowSize,
                ["retransmits"] = _retransmits,
                ["durationMs"] = durationMs,
                ["outcome"] = outcome,
                ["clientError"] = _clientError,
            },
        });
    }
}
