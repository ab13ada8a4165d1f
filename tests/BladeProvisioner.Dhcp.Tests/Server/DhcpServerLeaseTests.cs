using System.Net;
using BladeProvisioner.Dhcp.Leases;
using BladeProvisioner.Dhcp.Protocol;
using BladeProvisioner.Dhcp.Tests.Support;

namespace BladeProvisioner.Dhcp.Tests.Server;

public sealed class DhcpServerLeaseTests
{
    private static readonly IPAddress ServerIp = IPAddress.Parse(ServerHarness.ServerIp);

    [Fact]
    public async Task DiscoverRequestGivesAckWithScopeOptionsAndTimers()
    {
        var h = new ServerHarness();
        var ack = await h.LeaseAsync("02:00:00:00:00:01");
        Assert.Equal(DhcpMessageType.Ack, ack.Type);
        Assert.Equal(IPAddress.Parse("10.99.20.100"), ack.YourAddress);
        Assert.Equal(IPAddress.Parse("255.255.255.0"), ack.Address(DhcpOptionCode.SubnetMask));
        Assert.Equal(ServerIp, ack.Address(DhcpOptionCode.Router));
        Assert.Equal(IPAddress.Parse("10.99.20.53"), ack.Address(DhcpOptionCode.DomainNameServer));
        Assert.Equal("lab.example", ack.Text(DhcpOptionCode.DomainName));
        Assert.Equal(ServerIp, ack.Address(DhcpOptionCode.ServerIdentifier));
        Assert.Equal(3600u, ack.UInt32(DhcpOptionCode.LeaseTime));
        Assert.Equal(1800u, ack.UInt32(DhcpOptionCode.RenewalTime));
        Assert.Equal(3150u, ack.UInt32(DhcpOptionCode.RebindingTime));
        var row = Assert.Single(((InMemoryLeaseStore)h.Store).Snapshot());
        Assert.Equal("02:00:00:00:00:01", row.Mac);
        Assert.Equal(Core.Model.DhcpLeaseState.Bound, row.State);
    }

    [Fact]
    public async Task PlainClientsAreNeitherEnrolledNorOnTheTimeline()
    {
        var h = new ServerHarness();
        await h.LeaseAsync("02:00:00:00:00:02");
        Assert.Empty(h.Directory.Sightings);
        Assert.Empty(h.Timeline.Records);
    }

    [Fact]
    public async Task TwoClientsGetDifferentAddressesAndTheSameClientKeepsItsOwn()
    {
        var h = new ServerHarness();
        var a = await h.LeaseAsync("02:00:00:00:00:0a");
        var b = await h.LeaseAsync("02:00:00:00:00:0b");
        var again = await h.LeaseAsync("02:00:00:00:00:0a");
        Assert.NotEqual(a.YourAddress, b.YourAddress);
        Assert.Equal(a.YourAddress, again.YourAddress);
    }

    [Fact]
    public async Task ReservationGivesFixedAddressAndHostName()
    {
        var h = new ServerHarness();
        var ack = await h.LeaseAsync("52:54:00:aa:00:01");
        Assert.Equal(IPAddress.Parse("10.99.20.7"), ack.YourAddress);
        Assert.Equal("fixed7", ack.Text(DhcpOptionCode.HostName));
    }

    [Fact]
    public async Task ReservedAddressIsNeverOfferedToAnotherClient()
    {
        var h = new ServerHarness();
        var (_, offer) = await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Discover, "02:00:00:00:00:03").With(DhcpOptionCode.RequestedAddress, IPAddress.Parse("10.99.20.7")).Build());
        Assert.NotEqual(IPAddress.Parse("10.99.20.7"), offer!.YourAddress);
    }

    [Fact]
    public async Task ExhaustedPoolStaysSilent()
    {
        var h = new ServerHarness();
        for (int i = 0; i < 10; i++)
        {
            await h.LeaseAsync($"02:00:00:00:01:{i:x2}");
        }

        var (reply, _) = await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Discover, "02:00:00:00:02:00").Build());
        Assert.Null(reply);
    }

    [Fact]
    public async Task InitRebootForAnotherNetworkIsNaked()
    {
        var h = new ServerHarness();
        var (reply, nak) = await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Request, "02:00:00:00:00:04").With(DhcpOptionCode.RequestedAddress, IPAddress.Parse("192.168.1.20")).Build());
        Assert.Equal(DhcpMessageType.Nak, nak!.Type);
        Assert.Equal(IPAddress.Broadcast, reply!.Destination.Address);
    }

    [Fact]
    public async Task RequestForAddressHeldByAnotherClientIsNaked()
    {
        var h = new ServerHarness();
        var a = await h.LeaseAsync("02:00:00:00:00:05");
        var (_, nak) = await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Request, "02:00:00:00:00:06")
            .With(DhcpOptionCode.ServerIdentifier, ServerIp).With(DhcpOptionCode.RequestedAddress, a.YourAddress).Build());
        Assert.Equal(DhcpMessageType.Nak, nak!.Type);
    }

    [Fact]
    public async Task RenewingIsUnicastToCiaddrAndExtendsTheLease()
    {
        var h = new ServerHarness();
        var ack = await h.LeaseAsync("02:00:00:00:00:07");
        h.Time.Advance(TimeSpan.FromMinutes(30));
        var renew = PacketBuilder.Of(DhcpMessageType.Request, "02:00:00:00:00:07");
        renew.ClientAddress = ack.YourAddress;
        var (reply, view) = await h.SendAsync(renew.Build(), source: ack.YourAddress.ToString());
        Assert.Equal(DhcpMessageType.Ack, view!.Type);
        Assert.Equal(ack.YourAddress, reply!.Destination.Address);
        Assert.Equal(ack.YourAddress, view.ClientAddress);
        var row = Assert.Single(((InMemoryLeaseStore)h.Store).Snapshot());
        Assert.Equal(h.Time.GetUtcNow() + TimeSpan.FromHours(1), row.ExpiresAt);
    }

    [Fact]
    public async Task ReplyToClientWithoutAddressIsUnicastToYiaddrUnlessBroadcastFlag()
    {
        var h = new ServerHarness();
        var (unicast, offer) = await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Discover, "02:00:00:00:00:08").Build());
        Assert.Equal(offer!.YourAddress, unicast!.Destination.Address);
        Assert.NotNull(unicast.UnicastHardwareAddress);
        var flagged = PacketBuilder.Of(DhcpMessageType.Discover, "02:00:00:00:00:09");
        flagged.Broadcast = true;
        var (broadcast, _) = await h.SendAsync(flagged.Build());
        Assert.Equal(IPAddress.Broadcast, broadcast!.Destination.Address);
        Assert.Equal(68, broadcast.Destination.Port);
    }

    [Fact]
    public async Task ReleaseFreesTheAddressForOthers()
    {
        var h = new ServerHarness();
        for (int i = 0; i < 10; i++)
        {
            await h.LeaseAsync($"02:00:00:00:03:{i:x2}");
        }

        var release = PacketBuilder.Of(DhcpMessageType.Release, "02:00:00:00:03:04");
        release.ClientAddress = IPAddress.Parse("10.99.20.104");
        Assert.Null((await h.SendAsync(release.Build(), source: "10.99.20.104")).Reply);
        var ack = await h.LeaseAsync("02:00:00:00:04:00");
        Assert.Equal(IPAddress.Parse("10.99.20.104"), ack.YourAddress);
    }

    [Fact]
    public async Task DeclinedAddressIsQuarantinedThenReturns()
    {
        var h = new ServerHarness();
        var ack = await h.LeaseAsync("02:00:00:00:00:0c");
        var decline = PacketBuilder.Of(DhcpMessageType.Decline, "02:00:00:00:00:0c").With(DhcpOptionCode.RequestedAddress, ack.YourAddress).With(DhcpOptionCode.ServerIdentifier, ServerIp);
        Assert.Null((await h.SendAsync(decline.Build())).Reply);
        var row = Assert.Single(((InMemoryLeaseStore)h.Store).Snapshot());
        Assert.Equal(Core.Model.DhcpLeaseState.Declined, row.State);
        var next = await h.LeaseAsync("02:00:00:00:00:0c");
        Assert.NotEqual(ack.YourAddress, next.YourAddress);
        var (_, other) = await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Discover, "02:00:00:00:00:0d").With(DhcpOptionCode.RequestedAddress, ack.YourAddress).Build());
        Assert.NotEqual(ack.YourAddress, other!.YourAddress);
        h.Time.Advance(h.Options.DeclineQuarantine + TimeSpan.FromSeconds(1));
        var (_, later) = await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Discover, "02:00:00:00:00:0e").With(DhcpOptionCode.RequestedAddress, ack.YourAddress).Build());
        Assert.Equal(ack.YourAddress, later!.YourAddress);
    }

    [Fact]
    public async Task ProbedAddressThatAnswersIsSkipped()
    {
        var h = new ServerHarness();
        h.Probe.Enabled = true;
        h.Probe.InUse.Add("10.99.20.100");
        var (_, offer) = await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Discover, "02:00:00:00:00:0e").Build());
        Assert.Equal(IPAddress.Parse("10.99.20.101"), offer!.YourAddress);
        Assert.Contains("10.99.20.100", h.Probe.Probed);
    }

    [Fact]
    public async Task InformGetsConfigurationWithoutLease()
    {
        var h = new ServerHarness();
        var inform = PacketBuilder.Of(DhcpMessageType.Inform, "02:00:00:00:00:0f");
        inform.ClientAddress = IPAddress.Parse("10.99.20.33");
        var (reply, ack) = await h.SendAsync(inform.Build());
        Assert.Equal(DhcpMessageType.Ack, ack!.Type);
        Assert.Equal(IPAddress.Any, ack.YourAddress);
        Assert.False(ack.Has(DhcpOptionCode.LeaseTime));
        Assert.Equal(IPAddress.Parse("10.99.20.33"), reply!.Destination.Address);
    }

    [Fact]
    public async Task RequestForAnotherServersOfferIsIgnoredAndOurOfferReturnsToPool()
    {
        var h = new ServerHarness();
        var (_, offer) = await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Discover, "02:00:00:00:00:10").Build());
        var (reply, _) = await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Request, "02:00:00:00:00:10")
            .With(DhcpOptionCode.ServerIdentifier, IPAddress.Parse("10.99.20.250")).With(DhcpOptionCode.RequestedAddress, offer!.YourAddress).Build());
        Assert.Null(reply);
        var given = new List<IPAddress>();
        for (int i = 0; i < 10; i++)
        {
            given.Add((await h.LeaseAsync($"02:00:00:00:06:{i:x2}")).YourAddress);
        }

        Assert.Contains(offer.YourAddress, given);
    }

    [Fact]
    public async Task LeasesSurviveARestartOfTheServer()
    {
        var first = new ServerHarness();
        var ack = await first.LeaseAsync("02:00:00:00:00:12");
        var second = new ServerHarness(store: first.Store);
        await second.Book.LoadAsync(second.Time.GetUtcNow(), TestContext.Current.CancellationToken);
        var (_, offer) = await second.SendAsync(PacketBuilder.Of(DhcpMessageType.Discover, "02:00:00:00:00:13").Build());
        Assert.NotEqual(ack.YourAddress, offer!.YourAddress);
        var (_, nak) = await second.SendAsync(PacketBuilder.Of(DhcpMessageType.Request, "02:00:00:00:00:13")
            .With(DhcpOptionCode.ServerIdentifier, ServerIp).With(DhcpOptionCode.RequestedAddress, ack.YourAddress).Build());
        Assert.Equal(DhcpMessageType.Nak, nak!.Type);
        var renew = PacketBuilder.Of(DhcpMessageType.Request, "02:00:00:00:00:12");
        renew.ClientAddress = ack.YourAddress;
        var (_, renewed) = await second.SendAsync(renew.Build(), source: ack.YourAddress.ToString());
        Assert.Equal(DhcpMessageType.Ack, renewed!.Type);
    }
}
