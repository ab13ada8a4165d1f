using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using BladeProvisioner.Core.Readiness;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Platform.Net;
using BladeProvisioner.Tftp.Protocol;
using BladeProvisioner.Tftp.Transfer;

namespace BladeProvisioner.Tftp.Server;

/// <summary>
/// The well-known port on one interface (or one address, for tests): reads requests, refuses what must be refused,
/// and starts each accepted read on its own ephemeral socket. The receive loop survives any packet.
/// </summary>
internal sealed class TftpListener : IAsyncDisposable
{
    private const int ReceiveBufferSize = 64 * 1024;
    private const int TransferThreadStackSize = 256 * 1024;

    private readonly TftpServerContext _context;
    private readonly Socket _socket;
    private readonly IPAddress _localAddress;
    private readonly string? _device;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<IPEndPoint, Task> _sessions = new();
    private Task _loop = Task.CompletedTask;

    public TftpListener(TftpServerContext context, IPEndPoint bind, string? device)
    {
        _context = context;
        _device = device;
        _localAddress = bind.Address;
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (device is not null)
            {
                // Several interfaces may each bind the same port on the any-address, one device apiece.
                _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                SocketBinding.BindToDevice(_socket, device);
            }

            _socket.Bind(bind);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        BlockSizeCap = context.Options.MaxBlockSize ?? InterfaceMtu.BlockSizeFor(device);
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Largest blksize granted on this interface.</summary>
    public int BlockSizeCap { get; }

    public void Start() => _loop = Task.Run(ReceiveLoopAsync);

    private async Task ReceiveLoopAsync()
    {
        var buffer = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize);
        EndPoint any = new IPEndPoint(_localAddress.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult result;
            try
            {
                result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException ex)
            {
                TftpLog.SocketError(_context.Logger, LocalEndPoint, ex.SocketErrorCode.ToString());
                continue;
            }

            var client = (IPEndPoint)result.RemoteEndPoint;
            try
            {
                Handle(buffer.AsSpan(0, result.ReceivedBytes), client);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Whatever went wrong with one packet, the port keeps serving.
                _context.Metrics.MalformedDropped();
                TftpLog.HandlerFailed(_context.Logger, ex, client);
            }
        }
    }

    private void Handle(ReadOnlySpan<byte> packet, IPEndPoint client)
    {
        var triage = RequestTriage.Evaluate(packet, _context.Options.MaxPathLength);
        if (triage.Malformed)
        {
            if (triage.Action == TriageAction.Drop)
            {
                _context.Metrics.MalformedDropped();
            }
            else
            {
                _context.Metrics.MalformedAnswered();
            }

            TftpLog.Malformed(_context.Logger, client, triage.Message);
        }

        switch (triage.Action)
        {
            case TriageAction.Drop:
                return;
            case TriageAction.Refuse:
                Refuse(client, triage.Code, triage.Message, triage.Request);
                return;
            default:
                Serve(triage.Request!, client);
                return;
        }
    }

    private void Serve(TftpRequest request, IPEndPoint client)
    {
        // A retransmitted RRQ while its transfer runs: the transfer's own retransmission answers it.
        if (_sessions.ContainsKey(client))
        {
            return;
        }

        // Not ready (a dependency lost after start): the request is dropped, not refused. A firmware's TFTP client
        // retransmits its read request, so a short outage costs a blade a few seconds; an error packet would end its
        // boot attempt. Transfers already running go on: they need only the files.
        if (_context.Readiness is { IsReady: false })
        {
            ReadinessMetrics.Held("tftp");
            TftpLog.HeldNotReady(_context.Logger, client);
            return;
        }

        if (!_context.TryAcquireTransfer(client.Address, out var clientLimit))
        {
            _context.Metrics.TransferRefused(clientLimit);
            if (clientLimit)
            {
                TftpLog.ClientBusy(_context.Logger, client, _context.Options.MaxTransfersPerClient);
                Refuse(client, TftpErrorCode.NotDefined, $"too many transfers from {client.Address}: {_context.Options.MaxTransfersPerClient} already running, try again later", request);
            }
            else
            {
                TftpLog.Busy(_context.Logger, client, _context.ActiveTransfers);
                Refuse(client, TftpErrorCode.NotDefined, $"server busy: {_context.Options.MaxConcurrentTransfers} transfers already running, try again later", request);
            }

            return;
        }

        Socket? socket = null;
        try
        {
            socket = new Socket(client.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            if (_device is not null)
            {
                SocketBinding.BindToDevice(socket, _device);
            }

            socket.Bind(new IPEndPoint(_localAddress, 0));
            socket.Connect(client);
        }
        catch (SocketException ex)
        {
            socket?.Dispose();
            _context.ReleaseTransfer(client.Address);
            TftpLog.SocketError(_context.Logger, LocalEndPoint, ex.SocketErrorCode.ToString());
            Refuse(client, TftpErrorCode.NotDefined, "no transfer socket available", request);
            return;
        }

        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slot = new TransferSlot(() => _context.ReleaseTransfer(client.Address));
        var session = new TransferSession(_context, socket, client, request, BlockSizeCap, slot.Release, _stop.Token);
        _sessions[client] = ended.Task;
        var thread = new Thread(() => Run(session, slot, ended), TransferThreadStackSize)
        {
            IsBackground = true,
            Name = "tftp-transfer",
        };
        thread.Start();
    }

    /// <summary>A transfer's own thread (see <see cref="TransferSession"/> for why not the thread pool).</summary>
    private void Run(TransferSession session, TransferSlot slot, TaskCompletionSource ended)
    {
        try
        {
            session.Run();
        }
        finally
        {
            slot.Release();
            _sessions.TryRemove(session.Client, out _);
            session.Dispose();
            ended.TrySetResult();
        }
    }

    /// <summary>
    /// A running transfer's place under the concurrency cap. The session frees it the moment the transfer ends, before
    /// its timeline record, so whoever sees the record can start the next transfer at once.
    /// </summary>
    private sealed class TransferSlot(Action release)
    {
        private int _released;

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                release();
            }
        }
    }

    private void Refuse(IPEndPoint client, TftpErrorCode code, string message, TftpRequest? request)
    {
        try
        {
            _socket.SendTo(TftpPacket.Error(code, message), client);
        }
        catch (SocketException ex)
        {
            TftpLog.SocketError(_context.Logger, LocalEndPoint, ex.SocketErrorCode.ToString());
        }

        if (request is null)
        {
            return;
        }

        TftpLog.Refused(_context.Logger, request.FileName, client, code.ToString(), message);
        _context.Timeline.Record(new TimelineRecord("tftp", "tftp.error", $"TFTP {request.FileName} refused: {message}")
        {
            Address = client.Address,
            Details = new Dictionary<string, object?>
            {
                ["file"] = request.FileName,
                ["code"] = (int)code,
                ["error"] = message,
                ["request"] = request.Opcode == TftpOpcode.WriteRequest ? "write" : "read",
            },
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _loop;
        await Task.WhenAll(_sessions.Values);
        _stop.Dispose();
    }
}
