using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using BladeProvisioner.Dhcp.Configuration;
using BladeProvisioner.Dhcp.Diagnostics;
using BladeProvisioner.Dhcp.Hosting;
using BladeProvisioner.Dhcp.Scopes;
using Microsoft.Extensions.Logging;

namespace BladeProvisioner.Dhcp.Probing;

/// <summary>
/// ICMP echo before offering (RFC 2131 §2.2 "SHOULD probe"), on a raw socket bound to the provisioning interface,
/// so probes never leave by another route. Results are cached for <see cref="DhcpProbeOptions.CacheTime"/>.
/// A host that ignores pings is not detected; DECLINE covers that case.
/// </summary>
internal sealed class IcmpAddressProbe(DhcpProbeOptions options, INetworkEnvironment network, TimeProvider time, ILogger<IcmpAddressProbe> logger)
    : IAddressProbe, IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Listener?>> _listeners = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<uint, (bool InUse, DateTimeOffset At)> _cache = new();
    private readonly ushort _identifier = (ushort)Environment.ProcessId;
    private int _sequence;

    public bool Enabled => options.Enabled;

    public async ValueTask<bool> IsInUseAsync(string interfaceName, uint address, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(address, out var cached) && now - cached.At < options.CacheTime)
        {
            return cached.InUse;
        }

        var listener = _listeners.GetOrAdd(interfaceName, n => new Lazy<Listener?>(() => Open(n))).Value;
        if (listener is null)
        {
            return false;
        }

        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Waiters[address] = waiter;
        try
        {
            var packet = new byte[16];
            packet[0] = 8; // echo request
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), _identifier);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), (ushort)Interlocked.Increment(ref _sequence));
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), Checksum(packet));
            await listener.Socket.SendToAsync(packet, SocketFlags.None, new IPEndPoint(Ipv4.ToAddress(address), 0), cancellationToken);
            bool inUse;
            try
            {
                await waiter.Task.WaitAsync(options.Timeout, time, cancellationToken);
                inUse = true;
            }
            catch (TimeoutException)
            {
                inUse = false;
            }

            _cache[address] = (inUse, time.GetUtcNow());
            return inUse;
        }
        catch (SocketException)
        {
            return false; // No route, no neighbour: nothing there to answer.
        }
        finally
        {
            listener.Waiters.TryRemove(new KeyValuePair<uint, TaskCompletionSource>(address, waiter));
        }
    }

    public void Dispose()
    {
        foreach (var l in _listeners.Values)
        {
            if (l.IsValueCreated)
            {
                l.Value?.Dispose();
            }
        }
    }

    private Listener? Open(string interfaceName)
    {
        try
        {
            var listener = new Listener(network.OpenIcmp(interfaceName));
            _ = Task.Run(() => listener.ReceiveLoopAsync());
            return listener;
        }
        catch (Exception ex) when (ex is SocketException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            DhcpLog.ProbeUnavailable(logger, interfaceName, ex);
            return null;
        }
    }

    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    private sealed class Listener(Socket socket) : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();

        public Socket Socket { get; } = socket;

        public ConcurrentDictionary<uint, TaskCompletionSource> Waiters { get; } = new();

        public async Task ReceiveLoopAsync()
        {
            var buffer = new byte[1500];
            EndPoint any = new IPEndPoint(IPAddress.Any, 0);
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var r = await Socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
                    var span = buffer.AsSpan(0, r.ReceivedBytes);
                    // Raw IPv4 socket: IP header (IHL words), then ICMP; type 0 is an echo reply.
                    if (span.Length < 20)
                    {
                        continue;
                    }

                    int ihl = (span[0] & 0x0F) * 4;
                    if (ihl < 20 || span.Length < ihl + 8 || span[ihl] != 0)
                    {
                        continue;
                    }

                    uint source = BinaryPrimitives.ReadUInt32BigEndian(span[12..]);
                    if (Waiters.TryGetValue(source, out var waiter))
                    {
                        waiter.TrySetResult();
                    }
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                catch (SocketException)
                {
                    // Keep listening.
                }
                catch (ObjectDisposedException)
                {
                    break;
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            Socket.Dispose();
            _stop.Dispose();
        }
    }
}
