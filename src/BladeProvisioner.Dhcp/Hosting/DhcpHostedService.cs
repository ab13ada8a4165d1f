using System.Net;
using System.Net.Sockets;
using BladeProvisioner.Core.Readiness;
using BladeProvisioner.Dhcp.Configuration;
using BladeProvisioner.Dhcp.Diagnostics;
using BladeProvisioner.Dhcp.Leases;
using BladeProvisioner.Dhcp.Scopes;
using BladeProvisioner.Dhcp.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Dhcp.Hosting;

/// <summary>
/// Runs the server on the configured provisioning interfaces once the appliance is ready: one socket per interface
/// and port, a receive loop that never dies on bad input, and a periodic reclaim of expired leases.
/// </summary>
internal sealed class DhcpHostedService(
    IOptions<DhcpOptions> options,
    IServiceProvider services,
    INetworkEnvironment network,
    DhcpMetrics metrics,
    TimeProvider time,
    ILogger<DhcpHostedService> logger,
    ApplianceReadiness? readiness = null) : BackgroundService
{
    private const int MaxInFlight = 8192;
    private readonly List<Socket> _sockets = [];
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DhcpServer? _server;
    private int _inFlight;

    /// <summary>Completes when every socket is bound and receiving (tests wait on it).</summary>
    public Task Listening => _listening.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            _listening.TrySetResult();
            return;
        }

        if (readiness is not null)
        {
            await readiness.WaitAsync(stoppingToken);
        }

        // Resolved only when enabled: a disabled DHCP module needs no lease database.
        _server = services.GetRequiredService<DhcpServer>();
        var leases = services.GetRequiredService<LeaseBook>();

        var (loaded, reclaimed) = await leases.LoadAsync(time.GetUtcNow(), stoppingToken);
        DhcpLog.LeasesLoaded(logger, loaded, reclaimed);
        var loops = new List<Task>();
        try
        {
            foreach (var itf in o.Interfaces)
            {
                uint address = itf.ServerAddress is not null && Ipv4.TryParse(itf.ServerAddress, out var configured)
                    ? configured
                    : network.GetIPv4Address(itf.Name)
                      ?? throw new InvalidOperationException($"Dhcp:Interfaces: interface '{itf.Name}' has no IPv4 address; set its ServerAddress or configure the interface.");
                var ports = o.Mode == DhcpMode.Proxy ? new[] { DhcpServer.ServerPort, DhcpServer.ProxyPort } : [DhcpServer.ServerPort];
                foreach (var port in ports)
                {
                    var socket = network.OpenUdp(itf.Name, port);
                    _sockets.Add(socket);
                    DhcpLog.Listening(logger, o.Mode.ToString(), itf.Name, Ipv4.Format(address), port);
                    loops.Add(Task.Run(() => ReceiveLoopAsync(socket, itf.Name, address, port, stoppingToken), stoppingToken));
                }
            }

            loops.Add(ReclaimLoopAsync(leases, o.ReclaimInterval, stoppingToken));
            _listening.TrySetResult();
            await Task.WhenAll(loops);
        }
        catch (Exception ex)
        {
            _listening.TrySetException(ex);
            throw;
        }
        finally
        {
            foreach (var s in _sockets)
            {
                s.Dispose();
            }
        }
    }

    private async Task ReceiveLoopAsync(Socket socket, string interfaceName, uint serverAddress, int port, CancellationToken cancellationToken)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(65536, pinned: true);
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (SocketException)
            {
                continue;
            }

            // Not ready (the database or tgtd lost after start): nothing is answered, renewals included. A lease that
            // cannot be recorded is never handed out, and a client retransmits; one that holds a lease keeps using it
            // until it expires (RFC 2131 §4.4.5), far longer than an outage the monitor reports.
            if (readiness is { IsReady: false })
            {
                ReadinessMetrics.Held("dhcp");
                metrics.Dropped("not_ready");
                continue;
            }

            if (Volatile.Read(ref _inFlight) >= MaxInFlight)
            {
                metrics.Dropped("overloaded");
                continue;
            }

            try
            {
                var context = new ReceiveContext(interfaceName, serverAddress, port, (IPEndPoint)received.RemoteEndPoint);
                // The server copies what it needs before its first await, so the buffer can be reused right away.
                var pending = _server!.HandleDatagramAsync(buffer.AsMemory(0, received.ReceivedBytes), context, cancellationToken);
                if (pending.IsCompletedSuccessfully)
                {
                    Send(socket, interfaceName, pending.Result);
                }
                else
                {
                    Interlocked.Increment(ref _inFlight);
                    _ = CompleteAsync(pending, socket, interfaceName);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                metrics.Dropped("handler_error");
                DhcpLog.HandlerFailed(logger, interfaceName, ex);
            }
        }
    }

    private async Task CompleteAsync(ValueTask<DhcpReply?> pending, Socket socket, string interfaceName)
    {
        try
        {
            Send(socket, interfaceName, await pending);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            metrics.Dropped("handler_error");
            DhcpLog.HandlerFailed(logger, interfaceName, ex);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private void Send(Socket socket, string interfaceName, DhcpReply? reply)
    {
        if (reply is null)
        {
            return;
        }

        var destination = reply.Destination;
        if (reply.UnicastHardwareAddress is { } mac
            && !network.TryAddNeighbour(socket, interfaceName, Ipv4.ToUInt32(destination.Address), mac)
            && reply.Fallback is not null)
        {
            destination = reply.Fallback;
        }

        try
        {
            socket.SendTo(reply.Payload, SocketFlags.None, destination);
        }
        catch (SocketException ex)
        {
            DhcpLog.SendFailed(logger, destination.ToString(), interfaceName, ex);
        }
    }

    private async Task ReclaimLoopAsync(LeaseBook leases, TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await leases.ReclaimAsync(time.GetUtcNow(), cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    DhcpLog.ReclaimFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
