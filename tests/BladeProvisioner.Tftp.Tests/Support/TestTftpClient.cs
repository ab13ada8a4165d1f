using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BladeProvisioner.Tftp.Tests.Support;

/// <summary>A deliberately plain TFTP client over a raw UDP socket, so tests can also misbehave on purpose.</summary>
internal sealed class TestTftpClient : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _server;
    private readonly byte[] _buffer = new byte[70000];

    public TestTftpClient(IPEndPoint server, IPAddress? local = null)
    {
        _server = server;
        _socket.Bind(new IPEndPoint(local ?? IPAddress.Loopback, 0));
    }

    /// <summary>The transfer's endpoint (server TID), once the first answer arrived.</summary>
    public IPEndPoint? Peer { get; private set; }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public static byte[] Request(string file, string mode = "octet", params (string Name, string Value)[] options) =>
        RawRequest(1, file, mode, options);

    public static byte[] RawRequest(ushort opcode, string file, string mode, params (string Name, string Value)[] options)
    {
        var bytes = new List<byte> { (byte)(opcode >> 8), (byte)opcode };
        void Field(string s)
        {
            bytes.AddRange(Encoding.ASCII.GetBytes(s));
            bytes.Add(0);
        }

        Field(file);
        Field(mode);
        foreach (var (name, value) in options)
        {
            Field(name);
            Field(value);
        }

        return [.. bytes];
    }

    public static byte[] Ack(ushort block) => [0, 4, (byte)(block >> 8), (byte)block];

    public static byte[] Error(ushort code, string message) => [0, 5, (byte)(code >> 8), (byte)code, .. Encoding.ASCII.GetBytes(message), 0];

    public void SendToServer(byte[] packet) => _socket.SendTo(packet, _server);

    public void SendToPeer(byte[] packet) => _socket.SendTo(packet, Peer ?? throw new InvalidOperationException("no transfer yet"));

    /// <summary>The next datagram, or null after <paramref name="timeout"/>.</summary>
    public async Task<byte[]?> ReceiveAsync(TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            var result = await _socket.ReceiveFromAsync(_buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
            Peer ??= (IPEndPoint)result.RemoteEndPoint;
            return _buffer[..result.ReceivedBytes];
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Downloads with RFC 7440 client behaviour; returns the data and the OACK options (empty when none).</summary>
    public async Task<(byte[] Data, Dictionary<string, string> OptionAck)> DownloadAsync(
        string file, string mode = "octet", params (string Name, string Value)[] options)
    {
        SendToServer(Request(file, mode, options));
        var oack = new Dictionary<string, string>(StringComparer.Ordinal);
        var blockSize = 512;
        var windowSize = 1;
        var data = new MemoryStream();
        ushort expected = 1;
        ushort lastGood = 0;
        var inWindow = 0;
        var timeouts = 0;
        while (true)
        {
            var packet = await ReceiveAsync(TimeSpan.FromSeconds(2));
            if (packet is null)
            {
                if (++timeouts > 5)
                {
                    throw new TimeoutException($"no answer for {file}");
                }

                if (Peer is null)
                {
                    SendToServer(Request(file, mode, options));
                }
                else
                {
                    SendToPeer(Ack(lastGood));
                }

                continue;
            }

            var opcode = BinaryPrimitives.ReadUInt16BigEndian(packet);
            if (opcode == 5)
            {
                throw new TftpErrorException(BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(2)), Encoding.ASCII.GetString(packet, 4, packet.Length - 5));
            }

            if (opcode == 6)
            {
                oack = ParseOptionAck(packet);
                blockSize = oack.TryGetValue("blksize", out var b) ? int.Parse(b, System.Globalization.CultureInfo.InvariantCulture) : 512;
                windowSize = oack.TryGetValue("windowsize", out var w) ? int.Parse(w, System.Globalization.CultureInfo.InvariantCulture) : 1;
                SendToPeer(Ack(0));
                continue;
            }

            var block = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(2));
            if (block != expected)
            {
                // Out of order or duplicate: tell the server where we are (RFC 7440 §4).
                inWindow = 0;
                SendToPeer(Ack(lastGood));
                continue;
            }

            var payload = packet.Length - 4;
            data.Write(packet, 4, payload);
            lastGood = expected;
            expected++;
            inWindow++;
            if (payload < blockSize)
            {
                SendToPeer(Ack(lastGood));
                return (data.ToArray(), oack);
            }

            if (inWindow == windowSize)
            {
                inWindow = 0;
                SendToPeer(Ack(lastGood));
            }
        }
    }

    public static Dictionary<string, string> ParseOptionAck(byte[] packet)
    {
        var fields = Encoding.ASCII.GetString(packet, 2, packet.Length - 2).Split('\0');
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            result[fields[i]] = fields[i + 1];
        }

        return result;
    }

    public void Dispose() => _socket.Dispose();
}

internal sealed class TftpErrorException(ushort code, string message) : Exception($"TFTP error {code}: {message}")
{
    public ushort Code { get; } = code;
    public string ErrorMessage { get; } = message;
}
