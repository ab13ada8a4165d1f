using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace BladeProvisioner.Storage.Targets.Tgt.Ipc;

/// <summary>
/// Speaks tgtd's management protocol over its Unix socket, as tgtadm does, so a CHAP password travels in a socket
/// buffer instead of on a command line (where /proc/&lt;pid&gt;/cmdline shows it to every local user). One connection
/// per request, as tgtd expects: it answers once and closes. tgtd accepts only peers with its own uid and gid
/// (SO_PEERCRED). The socket is a path, not an abstract name, so it is reached from any network namespace.
/// </summary>
internal sealed class TgtIpcClient(string socketPath, string lld = "iscsi") : ITgtIpc
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    public string SocketPath => socketPath;

    /// <summary>tgtadm's rule: <c>$TGT_IPC_SOCKET</c> (default <c>/var/run/tgtd/socket</c>) plus <c>.&lt;control port&gt;</c>.</summary>
    public static string SocketPathFor(int? controlPort)
    {
        var stem = Environment.GetEnvironmentVariable("TGT_IPC_SOCKET") is { Length: > 0 } env ? env : "/var/run/tgtd/socket";
        return string.Create(CultureInfo.InvariantCulture, $"{stem}.{controlPort ?? 0}");
    }

    public async Task<string> SendAsync(TgtIpcRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var operation = request.Display();
        int length = TgtIpcWire.EncodedLength(request, lld);
        if (length < 0)
        {
            throw new TgtIpcException(operation, TgtIpcError.InvalidRequest, "a value holds a comma or NUL, or the request exceeds tgtd's 8 KiB");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(CallTimeout);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            if (!TgtIpcWire.TryWriteRequest(request, lld, buffer, out int written))
            {
                throw new TgtIpcException(operation, TgtIpcError.InvalidRequest, "the request could not be encoded");
            }

            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), timeout.Token);
            await SendAllAsync(socket, buffer.AsMemory(0, written), timeout.Token);

            // The request may hold a password: it does not stay in a pooled buffer.
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, length));
            return await ReceiveAsync(socket, operation, timeout.Token);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new TgtIpcException(operation, null, $"no answer from {socketPath} within {CallTimeout.TotalSeconds:0} s", ex);
        }
        catch (SocketException ex)
        {
            throw new TgtIpcException(operation, null, $"cannot talk to tgtd at {socketPath}: {ex.SocketErrorCode}", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        while (!data.IsEmpty)
        {
            int n = await socket.SendAsync(data, SocketFlags.None, ct);
            data = data[n..];
        }
    }

    private static async Task<string> ReceiveAsync(Socket socket, string operation, CancellationToken ct)
    {
        var header = new byte[TgtIpcWire.ResponseHeaderLength];
        if (await ReceiveExactlyAsync(socket, header, ct) < header.Length)
        {
            throw new TgtIpcException(operation, null, "tgtd closed the connection without an answer (peer not tgtd's user?)");
        }

        if (TgtIpcWire.TryReadResponseHeader(header, out var error, out int bodyLength) != TgtIpcResponseStatus.Ok)
        {
            throw new TgtIpcException(operation, null, "tgtd sent a malformed answer");
        }

        if (error != TgtIpcError.Success)
        {
            throw new TgtIpcException(operation, error, $"{TgtIpcException.Describe(error)} ({error})");
        }

        if (bodyLength == 0)
        {
            return string.Empty;
        }

        var body = ArrayPool<byte>.Shared.Rent(bodyLength);
        try
        {
            if (await ReceiveExactlyAsync(socket, body.AsMemory(0, bodyLength), ct) < bodyLength)
            {
                throw new TgtIpcException(operation, null, "tgtd closed the connection in the middle of its answer");
            }

            return TgtIpcWire.DecodeBody(body.AsSpan(0, bodyLength));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    private static async Task<int> ReceiveExactlyAsync(Socket socket, Memory<byte> into, CancellationToken ct)
    {
        int done = 0;
        while (done < into.Length)
        {
            int n = await socket.ReceiveAsync(into[done..], SocketFlags.None, ct);
            if (n == 0)
            {
                break;
            }

            done += n;
        }

        return done;
    }
}
