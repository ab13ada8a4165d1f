using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BladeProvisioner.Tftp.Files;
using BladeProvisioner.Tftp.Protocol;
using BladeProvisioner.Tftp.Server;

namespace BladeProvisioner.Tftp.Transfer;

/// <summary>
/// One read transfer, on its own socket (the server's transfer ID, RFC 1350 §4) connected to the client's, so the
/// kernel delivers only that client's packets. It runs on a thread of its own with blocking socket calls: lock-step
/// TFTP is bound by round-trip latency, and a blocking receive wakes exactly one thread per ACK where an async
/// receive wakes the socket engine and then a pool thread (measured in docs/performance.md). Never throws: every
/// ending is an outcome on the timeline.
/// </summary>
internal sealed partial class TransferSession : IDisposable
{
    private const int ReceiveBufferSize = 2048;
    private const int MaxBackoffFactor = 8;

    private readonly TftpServerContext _context;
    private readonly Socket _socket;
    private readonly CancellationToken _stopping;
    private readonly Action _ended;
    private readonly byte[] _receive = new byte[ReceiveBufferSize];
    private readonly int _blockSizeCap;
    private readonly UdpSegmentation _segmentation = new();
    private int _receiveTimeoutMs = -1;
    private long _expiresAt = long.MaxValue;
    private long _retransmits;
    private long _delivered;
    private int _blockSize = NegotiatedOptions.DefaultBlockSize;
    private int _windowSize = 1;
    private string? _clientError;

    public TransferSession(TftpServerContext context, Socket socket, IPEndPoint client, TftpRequest request, int blockSizeCap, Action ended, CancellationToken stopping)
    {
        _ended = ended;
        _blockSizeCap = blockSizeCap;
        _context = context;
        _socket = socket;
        _stopping = stopping;
        Client = client;
        Request = request;
    }

    public IPEndPoint Client { get; }

    public TftpRequest Request { get; }

    /// <summary>Runs the whole transfer on the calling (dedicated) thread.</summary>
    public void Run()
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "internal-error";
        _context.Metrics.TransferStarted();
        // Whatever the client does, the transfer (file lookup included) ends by Tftp:MaxTransferDuration.
        var lifetime = _context.Options.MaxTransferDuration;
        _expiresAt = started + (long)(lifetime.TotalSeconds * Stopwatch.Frequency);
        using var life = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        life.CancelAfter(lifetime);
        // Stopping closes the socket, which ends a blocked receive.
        using var stop = _stopping.Register(static s => ((Socket)s!).Dispose(), _socket);
        try
        {
            // Providers are async; this thread has nothing else to do while one answers.
            var lookup = _context.Files.OpenAsync(Request.FileName, Client, life.Token).AsTask().GetAwaiter().GetResult();
            if (lookup.Status != FileLookupStatus.Found)
            {
                var code = lookup.Status == FileLookupStatus.NotFound ? TftpErrorCode.FileNotFound : TftpErrorCode.AccessViolation;
                outcome = Refuse(code, lookup.Reason);
                return;
            }

            using var file = lookup.File!;
            outcome = Transfer(TransferSource.For(file, Request.Mode == TftpMode.NetAscii));
        }
        catch (Exception ex) when (_stopping.IsCancellationRequested && ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            outcome = "cancelled";
        }
        catch (OperationCanceledException) when (life.IsCancellationRequested)
        {
            outcome = Expire();
        }
        catch (SocketException ex)
        {
            // Connected UDP: an ICMP port-unreachable from the client surfaces here.
            outcome = ex.SocketErrorCode == SocketError.ConnectionRefused ? "client-unreachable" : $"socket-error:{ex.SocketErrorCode}";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TftpLog.TransferFailed(_context.Logger, ex, Request.FileName, Client);
            TrySendError(TftpErrorCode.NotDefined, "read error");
            outcome = "read-error";
        }
        catch (Exception ex)
        {
            // This is the transfer's own thread: an exception escaping it would end the appliance.
            TftpLog.TransferFailed(_context.Logger, ex, Request.FileName, Client);
            TrySendError(TftpErrorCode.NotDefined, "internal error");
            outcome = "internal-error";
        }
        finally
        {
            Finish(outcome, Stopwatch.GetElapsedTime(started));
        }
    }

    private string Transfer(TransferSource source)
    {
        var negotiated = OptionNegotiator.Negotiate(
            Request.Options, _blockSizeCap, _context.Options.MaxWindowSize, source.ComputeLength, out var error,
            (int)Math.Floor(_context.Options.MaxNegotiatedTimeout.TotalSeconds));
        if (negotiated is null)
        {
            return Refuse(TftpErrorCode.OptionNegotiationFailed, error!);
        }

        _blockSize = negotiated.BlockSize;
        _windowSize = negotiated.WindowSize;
        var timeout = negotiated.Timeout ?? _context.Options.Timeout;
        if (negotiated.Acknowledged.Count > 0)
        {
            var optionOutcome = Negotiate(TftpPacket.OptionAck(negotiated.Acknowledged), timeout);
            if (optionOutcome is not null)
            {
                return optionOutcome;
            }
        }

        using var window = new WindowBuffer(_blockSize, _windowSize);
        return SendData(source, window, timeout);
    }

    /// <summary>RFC 2347 §3: OACK, answered by ACK 0 (accepted) or ERROR 8 (the client refuses the options).</summary>
    private string? Negotiate(byte[] optionAck, TimeSpan timeout)
    {
        var retries = 0;
        _socket.Send(optionAck);
        var deadline = Deadline(timeout, retries);
        while (true)
        {
            var received = ReceiveUntil(deadline);
            if (received < 0)
            {
                if (EndOrCountRetransmission(ref retries, packets: 1) is { } end)
                {
                    return end;
                }

                _socket.Send(optionAck);
                deadline = Deadline(timeout, retries);
                continue;
            }

            var packet = _receive.AsSpan(0, received);
            if (TftpPacket.TryReadAck(packet, out var block))
            {
                if (block == 0)
                {
                    return null;
                }

                continue;
            }

            if (TftpPacket.TryReadError(packet, out var code, out var message))
            {
                _clientError = $"{code} {message}";
                return code == (ushort)TftpErrorCode.OptionNegotiationFailed ? "options-refused-by-client" : "aborted-by-client";
            }

            Unexpected(packet);
        }
    }

    /// <summary>
    /// After a timeout: the transfer's outcome when it must end (its lifetime is over, or the retries are used up),
    /// else null with the resend of <paramref name="packets"/> counted.
    /// </summary>
    private string? EndOrCountRetransmission(ref int retries, int packets)
    {
        if (Expired)
        {
            return Expire();
        }

        if (++retries > _context.Options.MaxRetries)
        {
            return "timed-out";
        }

        _retransmits += packets;
        _context.Metrics.Retransmitted(packets);
        return null;
    }

    /// <summary>
    /// RFC 1350 lock-step, or RFC 7440 windows: a window goes out back to back; the ACK of its last block opens the
    /// next one, an ACK inside it restarts from the block after, a duplicate or stale ACK is ignored (never a send:
    /// no Sorcerer's Apprentice), and only a timeout retransmits, with the wait doubling up to 8x.
    /// </summary>
    private string SendData(TransferSource source, WindowBuffer window, TimeSpan timeout)
    {
        long windowStart = 1;
        var retries = 0;
        while (true)
        {
            // A client that ACKs just often enough to keep going is still bound by the lifetime.
            if (Expired)
            {
                return Expire();
            }

            var count = window.Fill(source, windowStart, window.Capacity, out var endsTransfer);
            SendWindow(window, count);
            var lastBlock = windowStart + count - 1;
            var deadline = Deadline(timeout, retries);
            while (true)
            {
                var received = ReceiveUntil(deadline);
                if (received < 0)
                {
                    if (EndOrCountRetransmission(ref retries, packets: count) is { } end)
                    {
                        return end;
                    }

                    SendWindow(window, count);
                    deadline = Deadline(timeout, retries);
                    continue;
                }

                var packet = _receive.AsSpan(0, received);
                if (TftpPacket.TryReadAck(packet, out var block))
                {
                    // Block numbers are 16 bits and roll over; place the ACK relative to the block before the window.
                    var advance = (ushort)(block - unchecked((ushort)(windowStart - 1)));
                    if (advance == 0 || advance > count)
                    {
                        continue;
                    }

                    for (var i = 0; i < advance; i++)
                    {
                        _delivered += window.Packet(i).Length - TftpPacket.HeaderLength;
                    }

                    var acked = windowStart - 1 + advance;
                    if (acked == lastBlock && endsTransfer)
                    {
                        return "completed";
                    }

                    if (acked < lastBlock)
                    {
                        _retransmits += lastBlock - acked;
                        _context.Metrics.Retransmitted((int)(lastBlock - acked));
                    }

                    retries = 0;
                    windowStart = acked + 1;
                    break;
                }

                if (TftpPacket.TryReadError(packet, out var code, out var message))
                {
                    _clientError = $"{code} {message}";
                    return "aborted-by-client";
                }

                Unexpected(packet);
            }
        }
    }

    private void Unexpected(ReadOnlySpan<byte> packet)
    {
        _context.Metrics.MalformedDropped();
        TftpLog.Malformed(_context.Logger, Client, $"unexpected {packet.Length}-byte packet during transfer");
    }

    public void Dispose() => _socket.Dispose();
}
