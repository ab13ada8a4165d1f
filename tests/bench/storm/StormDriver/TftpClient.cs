using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BladeProvisioner.Bench.Storm;

/// <summary>
/// A TFTP read as a PXE ROM does it (RFC 1350) with the options iPXE-era firmware negotiates: blksize (RFC 2348),
/// windowsize (RFC 7440), tsize (RFC 2349). A lost window is re-acknowledged after a timeout; the RRQ is resent.
/// </summary>
internal static class TftpClient
{
    /// <summary>The file's length and the retransmissions it took.</summary>
    public static async Task<(long Bytes, int Retries)> ReadAsync(
        IPAddress local, IPEndPoint server, string file, int blockSize, int windowSize, TimeSpan timeout, int maxRetries, CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(local, 0));
        var rrq = Request(file, blockSize, windowSize);
        var buffer = new byte[65536];
        EndPoint? peer = null;
        var negotiatedBlock = 512;
        var negotiatedWindow = 1;
        ushort last = 0; // last block received in order
        long bytes = 0;
        var retries = 0;
        var sinceAck = 0;
        byte[] pending = rrq;
        EndPoint pendingTo = server;
        await socket.SendToAsync(pending, pendingTo, ct);
        while (true)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(timeout);
            SocketReceiveFromResult r;
            try
            {
                r = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), wait.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                if (++retries > maxRetries)
                {
                    throw new TimeoutException($"TFTP {file}: no answer after {maxRetries} retries (at block {last})");
                }

                await socket.SendToAsync(pending, pendingTo, ct);
                continue;
            }

            var p = buffer.AsSpan(0, r.ReceivedBytes);
            if (p.Length < 4)
            {
                continue;
            }

            if (peer is null)
            {
                peer = r.RemoteEndPoint;
            }
            else if (!peer.Equals(r.RemoteEndPoint))
            {
                continue; // RFC 1350 §4: a packet from another TID is not ours
            }

            switch (BinaryPrimitives.ReadUInt16BigEndian(p))
            {
                case 6: // OACK
                    foreach (var (name, value) in Options(p[2..]))
                    {
                        if (name == "blksize")
                        {
                            negotiatedBlock = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                        }
                        else if (name == "windowsize")
                        {
                            negotiatedWindow = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                        }
                    }

                    pending = Ack(0);
                    pendingTo = peer;
                    await socket.SendToAsync(pending, peer, ct);
                    break;
                case 3: // DATA
                    var block = BinaryPrimitives.ReadUInt16BigEndian(p[2..]);
                    if (block != (ushort)(last + 1))
                    {
                        if (block != last)
                        {
                            // RFC 7440 §4: out of order, acknowledge the last block in order so the window restarts there.
                            pending = Ack(last);
                            pendingTo = peer;
                            await socket.SendToAsync(pending, peer, ct);
                            sinceAck = 0;
                        }

                        break;
                    }

                    last = block;
                    bytes += p.Length - 4;
                    var done = p.Length - 4 < negotiatedBlock;
                    if (done || ++sinceAck >= negotiatedWindow)
                    {
                        pending = Ack(last);
                        pendingTo = peer;
                        await socket.SendToAsync(pending, peer, ct);
                        sinceAck = 0;
                    }

                    if (done)
                    {
                        return (bytes, retries);
                    }

                    break;
                case 5: // ERROR
                    throw new InvalidOperationException($"TFTP {file}: error {BinaryPrimitives.ReadUInt16BigEndian(p[2..])} {Encoding.ASCII.GetString(p[4..]).TrimEnd('\0')}");
            }
        }
    }

    private static byte[] Request(string file, int blockSize, int windowSize)
    {
        var s = $"\0\u0001{file}\0octet\0tsize\00\0blksize\0{blockSize}\0" + (windowSize > 1 ? $"windowsize\0{windowSize}\0" : string.Empty);
        return Encoding.ASCII.GetBytes(s);
    }

    private static byte[] Ack(ushort block) => [0, 4, (byte)(block >> 8), (byte)block];

    private static List<(string Name, string Value)> Options(ReadOnlySpan<byte> p)
    {
        var fields = Encoding.ASCII.GetString(p).Split('\0');
        var list = new List<(string, string)>();
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            list.Add((fields[i].ToLowerInvariant(), fields[i + 1]));
        }

        return list;
    }
}
