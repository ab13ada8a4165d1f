using System.Diagnostics;
using System.Net.Sockets;
using BladeProvisioner.Tftp.Protocol;

namespace BladeProvisioner.Tftp.Transfer;

/// <summary>The transfer's socket calls: window sends (UDP GSO when available) and receives bounded by a deadline.</summary>
internal sealed partial class TransferSession
{
    private void SendWindow(WindowBuffer window, int count)
    {
        long bytes = 0;
        var i = 0;
        if (count > 1 && _segmentation.Enable(_socket, window.SlotSize))
        {
            // UDP GSO: the kernel cuts each run into slot-sized datagrams, every one starting with its own header.
            while (i < count)
            {
                var run = Math.Min(count - i, _segmentation.MaxSegments);
                if (!_segmentation.TrySend(_socket, window.Run(i, run)))
                {
                    break;
                }

                bytes += window.Run(i, run).Length - (run * TftpPacket.HeaderLength);
                i += run;
            }
        }

        for (; i < count; i++)
        {
            var packet = window.Packet(i).Span;
            _socket.Send(packet);
            bytes += packet.Length - TftpPacket.HeaderLength;
        }

        _context.Metrics.BytesSent(bytes);
    }

    private bool Expired => Stopwatch.GetTimestamp() >= _expiresAt;

    /// <summary>
    /// Received length, or -1 when <paramref name="deadline"/> (or the transfer's lifetime) passes first. Ignored
    /// packets do not extend the wait.
    /// </summary>
    private int ReceiveUntil(long deadline)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), Math.Min(deadline, _expiresAt));
        if (remaining <= TimeSpan.Zero)
        {
            return -1;
        }

        // SO_RCVTIMEO is set only when the wait changes (a new backoff step, or the rest of a wait after an ignored packet).
        var timeoutMs = (int)Math.Max(1, Math.Ceiling(remaining.TotalMilliseconds));
        if (Math.Abs(timeoutMs - _receiveTimeoutMs) > 1)
        {
            _socket.ReceiveTimeout = timeoutMs;
            _receiveTimeoutMs = timeoutMs;
        }

        try
        {
            return _socket.Receive(_receive);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            return -1;
        }
    }

    private static long Deadline(TimeSpan timeout, int retries) =>
        Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Math.Min(1 << Math.Min(retries, 30), MaxBackoffFactor) * Stopwatch.Frequency);
}
