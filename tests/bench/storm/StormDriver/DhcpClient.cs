using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BladeProvisioner.Bench.Storm;

/// <summary>
/// The DHCP side of every synthetic blade: one socket on port 68 of the chassis interface, answers handed to the
/// blade whose transaction id they carry (every blade asks for broadcast answers, as PXE ROMs do, so one socket
/// hears them all). RFC 2131 §4.1 retransmission: 4 s, doubling, ±1 s jitter (PXE spec 2.1 uses 4, 8, 16, 32).
/// </summary>
internal sealed class DhcpClient : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly ConcurrentDictionary<uint, Channel> _waiting = new();
    private readonly Task _receiver;

    public DhcpClient(string interfaceName)
    {
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Broadcast, true);
        _socket.SetRawSocketOption(1 /* SOL_SOCKET */, 25 /* SO_BINDTODEVICE */, Encoding.ASCII.GetBytes(interfaceName + "\0"));
        _socket.ReceiveBufferSize = 4 << 20;
        _socket.Bind(new IPEndPoint(IPAddress.Any, 68));
        _receiver = Task.Run(ReceiveAsync);
    }

    /// <summary>DISCOVER → OFFER → REQUEST → ACK; the ACK, with the retransmissions it took.</summary>
    public async Task<(DhcpAnswer Ack, int Retries)> AcquireAsync(DhcpIdentity who, TimeSpan firstTimeout, int attempts, CancellationToken ct)
    {
        var xid = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
        var channel = new Channel();
        _waiting[xid] = channel;
        try
        {
            var retries = 0;
            var started = Environment.TickCount64;
            for (var round = 0; round < 4; round++)
            {
                var (offer, r1) = await ExchangeAsync(channel, Build(who, xid, 1, 0, 0, started), 2, firstTimeout, attempts, ct);
                retries += r1;
                var (ack, r2) = await ExchangeAsync(channel, Build(who, xid, 3, offer.YourAddress, offer.ServerId, started), 5, firstTimeout, attempts, ct, 6);
                retries += r2;
                if (ack.Type == 5)
                {
                    return (ack, retries);
                }

                retries++; // NAK: start again from DISCOVER (RFC 2131 §3.1 step 5).
            }

            throw new TimeoutException("DHCP: NAK after NAK");
        }
        finally
        {
            _waiting.TryRemove(xid, out _);
        }
    }

    private async Task<(DhcpAnswer Answer, int Retries)> ExchangeAsync(
        Channel channel, Func<byte[]> packet, byte want, TimeSpan firstTimeout, int attempts, CancellationToken ct, byte orType = 0)
    {
        var timeout = firstTimeout;
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            channel.Drain(want, orType);
            await _socket.SendToAsync(packet(), new IPEndPoint(IPAddress.Broadcast, 67), ct);
            var jitter = TimeSpan.FromMilliseconds(Random.Shared.Next(-250, 250) * timeout.TotalSeconds / 4);
            if (await channel.WaitAsync(want, orType, timeout + jitter, ct) is { } answer)
            {
                return (answer, attempt);
            }

            timeout *= 2;
        }

        throw new TimeoutException($"DHCP: no answer of type {want} after {attempts} tries");
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1600];
        while (true)
        {
            int n;
            try
            {
                var r = await _socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0));
                n = r.ReceivedBytes;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                return;
            }

            if (DhcpAnswer.TryParse(buffer.AsSpan(0, n), out var answer) && _waiting.TryGetValue(answer.TransactionId, out var channel))
            {
                channel.Post(answer);
            }
        }
    }

    /// <summary>A BOOTREQUEST as PXE firmware or iPXE sends it (RFC 2131, RFC 4578 options 93/94/97, iPXE's 77 and 175).</summary>
    private static Func<byte[]> Build(DhcpIdentity who, uint xid, byte type, uint requested, uint server, long started) => () =>
    {
        var p = new byte[548];
        p[0] = 1;
        p[1] = 1;
        p[2] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(4), xid);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(8), (ushort)Math.Min(ushort.MaxValue, (Environment.TickCount64 - started) / 1000));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), 0x8000); // broadcast flag
        who.Mac.CopyTo(p.AsSpan(28));
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(236), 0x63825363);
        var o = 240;
        void Opt(byte code, ReadOnlySpan<byte> value)
        {
            p[o++] = code;
            p[o++] = (byte)value.Length;
            value.CopyTo(p.AsSpan(o));
            o += value.Length;
        }

        Span<byte> u32 = stackalloc byte[4];
        Opt(53, [type]);
        Opt(57, [0x05, 0xc0]); // max message size 1472
        if (type == 3)
        {
            BinaryPrimitives.WriteUInt32BigEndian(u32, requested);
            Opt(50, u32);
            BinaryPrimitives.WriteUInt32BigEndian(u32, server);
            Opt(54, u32);
        }

        Opt(93, [0, (byte)who.Architecture]);
        Opt(94, [1, 2, 1]); // UNDI 2.1
        Span<byte> uuid = stackalloc byte[17];
        who.Uuid.TryWriteBytes(uuid[1..]); // PXE's mixed-endian SMBIOS UUID, as the appliance reads it
        Opt(97, uuid);
        Opt(60, Encoding.ASCII.GetBytes($"PXEClient:Arch:{who.Architecture:00000}:UNDI:002001"));
        if (who.Ipxe)
        {
            Opt(77, "iPXE"u8);
            Opt(175, [19, 1, 1, 21, 1, 1]); // iPXE feature flags: HTTP, iSCSI
        }

        Opt(55, [1, 3, 6, 12, 15, 17, 43, 60, 66, 67, 119, 128, 129, 130, 131, 175, 203]);
        p[o++] = 255;
        return p;
    };

    public void Dispose()
    {
        _socket.Dispose();
        _receiver.Wait(TimeSpan.FromSeconds(2));
    }

    /// <summary>The answers for one transaction, in arrival order.</summary>
    private sealed class Channel
    {
        private readonly ConcurrentQueue<DhcpAnswer> _queue = new();
        private readonly SemaphoreSlim _signal = new(0);

        public void Post(DhcpAnswer answer)
        {
            _queue.Enqueue(answer);
            _signal.Release();
        }

        public void Drain(byte want, byte orType)
        {
            while (_queue.TryPeek(out var a) && a.Type != want && a.Type != orType)
            {
                _queue.TryDequeue(out _);
            }
        }

        public async Task<DhcpAnswer?> WaitAsync(byte want, byte orType, TimeSpan timeout, CancellationToken ct)
        {
            var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            while (true)
            {
                while (_queue.TryDequeue(out var a))
                {
                    if (a.Type == want || (orType != 0 && a.Type == orType))
                    {
                        return a;
                    }
                }

                var left = deadline - Environment.TickCount64;
                if (left <= 0 || !await _signal.WaitAsync(TimeSpan.FromMilliseconds(left), ct))
                {
                    return null;
                }
            }
        }
    }
}
