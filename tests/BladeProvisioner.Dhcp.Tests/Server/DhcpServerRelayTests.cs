using System.Net;
using BladeProvisioner.Dhcp.Protocol;
using BladeProvisioner.Dhcp.Tests.Support;

namespace BladeProvisioner.Dhcp.Tests.Server;

public sealed class DhcpServerRelayTests
{
    private static readonly byte[] Option82 = [1, 6, .. "ch1/s4"u8.ToArray(), 2, 4, 0xde, 0xad, 0xbe, 0xef];

    private static PacketBuilder Relayed(DhcpMessageType type, string mac)
    {
        var b = PacketBuilder.Of(type, mac).Pxe(7);
        b.RelayAddress = IPAddress.Parse("10.99.21.1");
        return b.With(DhcpOptionCode.RelayAgentInformation, Option82);
    }

    [Fact]
    public async Task RelayedDiscoverUsesTheGiaddrScopeAndRepliesToTheRelayOnPort67()
    {
        var h = new ServerHarness();
        var (reply, offer) = await h.SendAsync(Relayed(DhcpMessageType.Discover, "52:54:00:00:03:01").Build(), source: ServerHarness.RelayIp);
        Assert.Equal(IPAddress.Parse("10.99.21.50"), offer!.YourAddress);
        Assert.Equal(IPAddress.Parse("10.99.21.1"), offer.RelayAddress);
        Assert.Equal(IPAddress.Parse("10.99.21.1"), offer.Address(DhcpOptionCode.Router));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.99.21.1"), 67), reply!.Destination);
        Assert.Equal(Option82, offer.Option(DhcpOptionCode.RelayAgentInformation));
    }

    [Fact]
    public async Task RelayAgentInformationIsRecordedAsTheBladesLocation()
    {
        var h = new ServerHarness();
        await h.SendAsync(Relayed(DhcpMessageType.Discover, "52:54:00:00:03:02").Build(), source: ServerHarness.RelayIp);
        var sighting = Assert.Single(h.Directory.Sightings);
        Assert.Equal("ch1/s4", sighting.RelayCircuitId);
        Assert.Equal("deadbeef", sighting.RelayRemoteId);
    }

    [Fact]
    public async Task RelayedRequestIsAckedThroughTheRelayAndNakHasBroadcastBit()
    {
        var h = new ServerHarness();
        var (_, offer) = await h.SendAsync(Relayed(DhcpMessageType.Discover, "52:54:00:00:03:03").Build(), source: ServerHarness.RelayIp);
        var (reply, ack) = await h.SendAsync(Relayed(DhcpMessageType.Request, "52:54:00:00:03:03")
            .With(DhcpOptionCode.ServerIdentifier, IPAddress.Parse(ServerHarness.ServerIp)).With(DhcpOptionCode.RequestedAddress, offer!.YourAddress).Build(), source: ServerHarness.RelayIp);
        Assert.Equal(DhcpMessageType.Ack, ack!.Type);
        Assert.Equal(67, reply!.Destination.Port);
        var (nakReply, nak) = await h.SendAsync(Relayed(DhcpMessageType.Request, "52:54:00:00:03:04").With(DhcpOptionCode.RequestedAddress, IPAddress.Parse("10.99.20.100")).Build(), source: ServerHarness.RelayIp);
        Assert.Equal(DhcpMessageType.Nak, nak!.Type);
        Assert.True(nak.BroadcastFlag);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.99.21.1"), 67), nakReply!.Destination);
    }

    [Fact]
    public async Task RelayFromAnUnknownSubnetIsIgnored()
    {
        var options = ServerHarness.DefaultOptions();
        options.TrustedRelays.Add("10.99.30.1");
        var h = new ServerHarness(options);
        var b = PacketBuilder.Of(DhcpMessageType.Discover, "52:54:00:00:03:05");
        b.RelayAddress = IPAddress.Parse("10.99.30.1");
        Assert.Null((await h.SendAsync(b.Build(), source: "10.99.30.1")).Reply);
        Assert.Equal(1, h.Metrics.DroppedFor("no scope for the arrival interface or relay"));
    }

    [Theory]
    [InlineData("10.99.20.66")] // a host on the served segment
    [InlineData("10.99.21.7")]  // a host on the relayed segment, sending straight to the server
    public async Task RelayedDatagramFromAnUntrustedSourceIsDroppedAndCounted(string source)
    {
        // Finding 9: giaddr and option 82 are believed only from a configured relay agent.
        var h = new ServerHarness();
        Assert.Null((await h.SendAsync(Relayed(DhcpMessageType.Discover, "52:54:00:00:03:06").Build(), source: source)).Reply);
        var request = Relayed(DhcpMessageType.Request, "52:54:00:00:03:06").With(DhcpOptionCode.RequestedAddress, IPAddress.Parse("10.99.21.50"));
        Assert.Null((await h.SendAsync(request.Build(), source: source)).Reply);
        Assert.Empty(h.Directory.Sightings);
        Assert.Empty(((BladeProvisioner.Dhcp.Leases.InMemoryLeaseStore)h.Store).Snapshot());
        Assert.Equal(2, h.Metrics.DroppedFor("untrusted_relay"));
    }

    [Fact]
    public async Task RelayedDatagramIsDroppedInProxyModeTooWhenItsSenderIsNotTrusted()
    {
        var h = new ServerHarness(ServerHarness.DefaultOptions(Configuration.DhcpMode.Proxy));
        Assert.Null((await h.SendAsync(Relayed(DhcpMessageType.Discover, "52:54:00:00:03:07").Build(), source: "10.99.20.66")).Reply);
        Assert.Empty(h.Directory.Sightings);
        Assert.Equal(1, h.Metrics.DroppedFor("untrusted_relay"));
    }

    [Fact]
    public async Task Option82FromADirectlyConnectedClientIsIgnored()
    {
        // RFC 3046 §2.1: a server should not trust option 82 a client put there itself; slot rules would act on it.
        var h = new ServerHarness();
        var direct = PacketBuilder.Of(DhcpMessageType.Discover, "52:54:00:00:03:08").Pxe(7).With(DhcpOptionCode.RelayAgentInformation, Option82);
        var (_, offer) = await h.SendAsync(direct.Build());
        Assert.Equal(DhcpMessageType.Offer, offer!.Type);
        var sighting = Assert.Single(h.Directory.Sightings);
        Assert.Null(sighting.RelayCircuitId);
        Assert.Null(sighting.RelayRemoteId);
    }

    [Fact]
    public async Task RelayedClientsUnicastRenewalIsAckedInTheScopeOfItsLease()
    {
        // Finding 15 (part): RENEWING is unicast from the client (ciaddr set, giaddr 0) and arrives on the server's own
        // interface, whose scope is not the client's.
        var h = new ServerHarness();
        const string mac = "52:54:00:00:03:09";
        var (_, offer) = await h.SendAsync(Relayed(DhcpMessageType.Discover, mac).Build(), source: ServerHarness.RelayIp);
        var (_, ack) = await h.SendAsync(Relayed(DhcpMessageType.Request, mac)
            .With(DhcpOptionCode.ServerIdentifier, IPAddress.Parse(ServerHarness.ServerIp)).With(DhcpOptionCode.RequestedAddress, offer!.YourAddress).Build(), source: ServerHarness.RelayIp);
        Assert.Equal(DhcpMessageType.Ack, ack!.Type);
        h.Time.Advance(TimeSpan.FromHours(6));
        var renew = PacketBuilder.Of(DhcpMessageType.Request, mac).Pxe(7);
        renew.ClientAddress = offer.YourAddress;
        var (reply, renewed) = await h.SendAsync(renew.Build(), source: offer.YourAddress.ToString());
        Assert.Equal(DhcpMessageType.Ack, renewed!.Type);
        Assert.Equal(offer.YourAddress, renewed.YourAddress);
        Assert.Equal(IPAddress.Parse("10.99.21.1"), renewed.Address(DhcpOptionCode.Router));
        Assert.Equal(new IPEndPoint(offer.YourAddress, 68), reply!.Destination);
        var row = Assert.Single(((BladeProvisioner.Dhcp.Leases.InMemoryLeaseStore)h.Store).Snapshot());
        Assert.Equal(("rack2", h.Time.GetUtcNow() + TimeSpan.FromHours(12)), (row.Scope, row.ExpiresAt));
    }

    [Fact]
    public async Task UnicastRenewalOfAnAddressInAnotherScopeTheMacDoesNotHoldIsNotAcked()
    {
        var h = new ServerHarness();
        await h.LeaseAsync("52:54:00:00:03:0a");
        var renew = PacketBuilder.Of(DhcpMessageType.Request, "52:54:00:00:03:0a");
        renew.ClientAddress = IPAddress.Parse("10.99.21.55");
        var (_, view) = await h.SendAsync(renew.Build(), source: "10.99.21.55");
        Assert.Equal(DhcpMessageType.Nak, view!.Type);
        Assert.DoesNotContain(((BladeProvisioner.Dhcp.Leases.InMemoryLeaseStore)h.Store).Snapshot(), r => r.Scope == "rack2");
    }
}
