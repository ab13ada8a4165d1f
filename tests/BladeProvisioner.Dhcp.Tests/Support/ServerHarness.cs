using System.Net;
using BladeProvisioner.Dhcp.Configuration;
using BladeProvisioner.Dhcp.Diagnostics;
using BladeProvisioner.Dhcp.Leases;
using BladeProvisioner.Dhcp.Protocol;
using BladeProvisioner.Dhcp.Scopes;
using BladeProvisioner.Dhcp.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace BladeProvisioner.Dhcp.Tests.Support;

/// <summary>The server core without a host or sockets: a datagram in, a reply out.</summary>
internal sealed class ServerHarness
{
    public const string ServerIp = "10.99.20.1";

    /// <summary>The relay agent of scope rack2 (giaddr 10.99.21.1), trusted in <see cref="DefaultOptions"/>.</summary>
    public const string RelayIp = "10.99.21.1";

    public ServerHarness(DhcpOptions? options = null, ILeaseStore? store = null)
    {
        Options = options ?? DefaultOptions();
        Time = new ManualTime();
        Store = store ?? new InMemoryLeaseStore(Time);
        Scopes = ScopeTable.Compile(Options.Scopes);
        Book = new LeaseBook(Scopes, Store);
        Server = new DhcpServer(Options, Scopes, Book, Probe, Directory, Timeline, Metrics, NullLogger<DhcpServer>.Instance, Time, 8080, Tickets);
    }

    public DhcpOptions Options { get; }
    public ManualTime Time { get; }
    public ILeaseStore Store { get; }
    public ScopeTable Scopes { get; }
    public LeaseBook Book { get; }
    public FakeProbe Probe { get; } = new() { Enabled = false };
    public FakeBladeDirectory Directory { get; } = new();
    public FakeTimeline Timeline { get; } = new();
    public DhcpMetrics Metrics { get; } = new();
    public FakeBootTickets Tickets { get; } = new();
    public DhcpServer Server { get; }

    public static DhcpOptions DefaultOptions(DhcpMode mode = DhcpMode.Server)
    {
        var o = new DhcpOptions { Enabled = true, Mode = mode };
        o.Interfaces.Add(new DhcpInterfaceOptions { Name = "bpdhcp0h" });
        o.TrustedRelays.Add(RelayIp);
        var lab = new DhcpScopeOptions { Name = "lab", Subnet = "10.99.20.0/24", Router = "10.99.20.1", Domain = "lab.example", LeaseTime = TimeSpan.FromHours(1) };
        lab.Ranges.Add("10.99.20.100-10.99.20.109");
        lab.DnsServers.Add("10.99.20.53");
        lab.Reservations.Add(new DhcpReservationOptions { Mac = "52:54:00:aa:00:01", Address = "10.99.20.7", Hostname = "fixed7" });
        o.Scopes.Add(lab);
        var relayed = new DhcpScopeOptions { Name = "rack2", Subnet = "10.99.21.0/24", Router = "10.99.21.1" };
        relayed.Ranges.Add("10.99.21.50-10.99.21.59");
        o.Scopes.Add(relayed);
        return o;
    }

    public async Task<(DhcpReply? Reply, ReplyView? View)> SendAsync(byte[] packet, int port = DhcpServer.ServerPort, string source = "0.0.0.0")
    {
        var context = new ReceiveContext("bpdhcp0h", Ipv4.ToUInt32(IPAddress.Parse(ServerIp)), port, new IPEndPoint(IPAddress.Parse(source), 68));
        var reply = await Server.HandleDatagramAsync(packet, context, TestContext.Current.CancellationToken);
        return (reply, reply is null ? null : new ReplyView(reply.Payload));
    }

    /// <summary>DISCOVER then REQUEST (SELECTING); returns the ACK.</summary>
    public async Task<ReplyView> LeaseAsync(string mac, Func<PacketBuilder, PacketBuilder>? decorate = null)
    {
        decorate ??= b => b;
        var (_, offer) = await SendAsync(decorate(PacketBuilder.Of(DhcpMessageType.Discover, mac)).Build());
        Assert.NotNull(offer);
        Assert.Equal(DhcpMessageType.Offer, offer.Type);
        var request = decorate(PacketBuilder.Of(DhcpMessageType.Request, mac))
            .With(DhcpOptionCode.ServerIdentifier, IPAddress.Parse(ServerIp))
            .With(DhcpOptionCode.RequestedAddress, offer.YourAddress);
        var (_, ack) = await SendAsync(request.Build());
        Assert.NotNull(ack);
        return ack;
    }
}
