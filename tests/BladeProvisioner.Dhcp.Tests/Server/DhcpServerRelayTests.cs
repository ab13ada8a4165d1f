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
        var (reply, offer) = await h.SendAsync(Relayed(DhcpMessageType.Discover, "52:54:00:00:03:01").Build(), source: "10.99.21.1");
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
        await h.SendAsync(Relayed(DhcpMessageType.Discover, "52:54:00:00:03:02").Build(), source: "10.99.21.1");
        var sighting = Assert.Single(h.Directory.Sightings);
        Assert.Equal("ch1/s4", sighting.RelayCircuitId);
        Assert.Equal("deadbeef", sighting.RelayRemoteId);
    }

    [Fact]
    public async Task RelayedRequestIsAckedThroughTheRelayAndNakHasBroadcastBit()
    {
        var h = new ServerHarness();
        var (_, offer) = await h.SendAsync(Relayed(DhcpMessageType.Discover, "52:54:00:00:03:03").Build());
        var (reply, ack) = await h.SendAsync(Relayed(DhcpMessageType.Request, "52:54:00:00:03:03")
            .With(DhcpOptionCode.ServerIdentifier, IPAddress.Parse(ServerHarness.ServerIp)).With(DhcpOptionCode.RequestedAddress, offer!.YourAddress).Build());
        Assert.Equal(DhcpMessageType.Ack, ack!.Type);
        Assert.Equal(67, reply!.Destination.Port);
        var (nakReply, nak) = await h.SendAsync(Relayed(DhcpMessageType.Request, "52:54:00:00:03:04").With(DhcpOptionCode.RequestedAddress, IPAddress.Parse("10.99.20.100")).Build());
        Assert.Equal(DhcpMessageType.Nak, nak!.Type);
        Assert.True(nak.BroadcastFlag);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.99.21.1"), 67), nakReply!.Destination);
    }

    [Fact]
    public async Task RelayFromAnUnknownSubnetIsIgnored()
    {
        var h = new ServerHarness();
        var b = PacketBuilder.Of(DhcpMessageType.Discover, "52:54:00:00:03:05");
        b.RelayAddress = IPAddress.Parse("10.99.30.1");
        Assert.Null((await h.SendAsync(b.Build())).Reply);
    }
}
