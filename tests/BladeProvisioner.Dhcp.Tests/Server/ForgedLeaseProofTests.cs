using System.Net;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Dhcp.Leases;
using BladeProvisioner.Dhcp.Protocol;
using BladeProvisioner.Dhcp.Tests.Support;

namespace BladeProvisioner.Dhcp.Tests.Server;

/// <summary>
/// Security review finding 3: a lease in the victim's MAC at an address of the attacker's choosing (the proof other
/// modules key on, MAC + leased address) cannot be made with a REQUEST, and a victim's lease cannot be released or
/// declined by someone else. RFC 2131 §4.3.2, §4.3.3, §4.3.4.
/// </summary>
public sealed class ForgedLeaseProofTests
{
    private const string Victim = "52:54:00:0f:00:01";
    private static readonly IPAddress ServerIp = IPAddress.Parse(ServerHarness.ServerIp);
    private static readonly IPAddress AttackerIp = IPAddress.Parse("10.99.20.105");

    private static List<LeaseRecord> Bound(ServerHarness h) =>
        [.. ((InMemoryLeaseStore)h.Store).Snapshot().Where(r => r.State == DhcpLeaseState.Bound)];

    private static PacketBuilder InitReboot(string mac, IPAddress requested) =>
        PacketBuilder.Of(DhcpMessageType.Request, mac).With(DhcpOptionCode.RequestedAddress, requested);

    [Fact]
    public async Task InitRebootFromAClientWithNoRecordIsUnansweredAndBindsNothing()
    {
        var h = new ServerHarness();
        var (reply, _) = await h.SendAsync(InitReboot(Victim, AttackerIp).Build(), source: "10.99.20.105");
        Assert.Null(reply);
        Assert.Empty(((InMemoryLeaseStore)h.Store).Snapshot());
        Assert.Equal(1, h.Metrics.DroppedFor("init_reboot_unknown_client"));
    }

    [Fact]
    public async Task InitRebootInTheVictimsMacForAnotherAddressIsNakedAndTheVictimKeepsOneLease()
    {
        var h = new ServerHarness();
        var ack = await h.LeaseAsync(Victim);
        var (_, nak) = await h.SendAsync(InitReboot(Victim, AttackerIp).Build(), source: "10.99.20.105");
        Assert.Equal(DhcpMessageType.Nak, nak!.Type);
        var row = Assert.Single(Bound(h));
        Assert.Equal((Victim, Scopes.Ipv4.ToUInt32(ack.YourAddress)), (row.Mac, row.Address));
    }

    [Fact]
    public async Task InitRebootForTheClientsOwnBindingIsAcked()
    {
        var h = new ServerHarness();
        var ack = await h.LeaseAsync(Victim);
        var (_, again) = await h.SendAsync(InitReboot(Victim, ack.YourAddress).Build());
        Assert.Equal(DhcpMessageType.Ack, again!.Type);
        Assert.Equal(ack.YourAddress, again.YourAddress);
    }

    [Fact]
    public async Task InitRebootOfAReservedClientIsAckedWithoutARecord()
    {
        var h = new ServerHarness();
        var (_, ack) = await h.SendAsync(InitReboot("52:54:00:aa:00:01", IPAddress.Parse("10.99.20.7")).Build());
        Assert.Equal(DhcpMessageType.Ack, ack!.Type);
    }

    [Fact]
    public async Task SelectingAnAddressThatWasNotOfferedIsNaked()
    {
        var h = new ServerHarness();
        var (_, offer) = await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Discover, Victim).Build());
        Assert.NotEqual(AttackerIp, offer!.YourAddress);
        var (_, nak) = await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Request, Victim)
            .With(DhcpOptionCode.ServerIdentifier, ServerIp).With(DhcpOptionCode.RequestedAddress, AttackerIp).Build());
        Assert.Equal(DhcpMessageType.Nak, nak!.Type);
        Assert.Empty(Bound(h));
    }

    [Fact]
    public async Task RenewingACiaddrTheMacDoesNotHoldBindsNothing()
    {
        var h = new ServerHarness();
        await h.LeaseAsync(Victim);
        var renew = PacketBuilder.Of(DhcpMessageType.Request, Victim);
        renew.ClientAddress = AttackerIp;
        var (_, nak) = await h.SendAsync(renew.Build(), source: AttackerIp.ToString());
        Assert.Equal(DhcpMessageType.Nak, nak!.Type);
        Assert.DoesNotContain(Bound(h), r => r.Address == Scopes.Ipv4.ToUInt32(AttackerIp));
    }

    [Fact]
    public async Task ReleaseFromAnotherSourceThanTheLeasedAddressIsIgnored()
    {
        var h = new ServerHarness();
        var ack = await h.LeaseAsync(Victim);
        var release = PacketBuilder.Of(DhcpMessageType.Release, Victim).With(DhcpOptionCode.ServerIdentifier, ServerIp);
        release.ClientAddress = ack.YourAddress;
        Assert.Null((await h.SendAsync(release.Build(), source: AttackerIp.ToString())).Reply);
        Assert.Null((await h.SendAsync(release.Build(), source: "0.0.0.0")).Reply);
        Assert.Single(Bound(h));
        Assert.Equal(2, h.Metrics.DroppedFor("forged_release"));

        // The client itself, from its address, still can.
        Assert.Null((await h.SendAsync(release.Build(), source: ack.YourAddress.ToString())).Reply);
        Assert.Empty(Bound(h));
    }

    [Fact]
    public async Task DeclineAgainstALongHeldLeaseIsIgnored()
    {
        var h = new ServerHarness();
        var ack = await h.LeaseAsync(Victim);
        h.Time.Advance(h.Options.DeclineWindow + TimeSpan.FromSeconds(1));
        var decline = PacketBuilder.Of(DhcpMessageType.Decline, Victim).With(DhcpOptionCode.RequestedAddress, ack.YourAddress).With(DhcpOptionCode.ServerIdentifier, ServerIp);
        Assert.Null((await h.SendAsync(decline.Build())).Reply);
        Assert.Equal(DhcpLeaseState.Bound, Assert.Single(((InMemoryLeaseStore)h.Store).Snapshot()).State);
        Assert.Equal(1, h.Metrics.DroppedFor("forged_decline"));
    }

    [Fact]
    public async Task DeclineAfterARenewalIsIgnoredToo()
    {
        var h = new ServerHarness();
        var ack = await h.LeaseAsync(Victim);
        h.Time.Advance(TimeSpan.FromMinutes(30));
        var renew = PacketBuilder.Of(DhcpMessageType.Request, Victim);
        renew.ClientAddress = ack.YourAddress;
        Assert.Equal(DhcpMessageType.Ack, (await h.SendAsync(renew.Build(), source: ack.YourAddress.ToString())).View!.Type);
        var decline = PacketBuilder.Of(DhcpMessageType.Decline, Victim).With(DhcpOptionCode.RequestedAddress, ack.YourAddress);
        Assert.Null((await h.SendAsync(decline.Build())).Reply);
        Assert.Equal(DhcpLeaseState.Bound, Assert.Single(((InMemoryLeaseStore)h.Store).Snapshot()).State);
    }

    [Fact]
    public async Task MacRotatingDiscoversAreCappedAndThePoolsStateStaysBounded()
    {
        var options = ServerHarness.DefaultOptions();
        options.MaxOffersPerScope = 4;
        var h = new ServerHarness(options);
        var pool = h.Book.Pool(h.Scopes.FindByName("lab")!);
        int offers = 0;
        for (int round = 0; round < 50; round++)
        {
            for (int i = 0; i < 20; i++)
            {
                var (reply, _) = await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Discover, $"02:01:00:00:{round:x2}:{i:x2}").Build());
                offers += reply is null ? 0 : 1;
            }

            Assert.InRange(pool.OfferCount, 0, 4);
            h.Time.Advance(h.Options.OfferHold + TimeSpan.FromSeconds(1));
        }

        Assert.Equal(50 * 4, offers);
        Assert.Equal(50 * 16, h.Metrics.DroppedFor("offer_limit"));
        Assert.InRange(pool.KnownClientCount, 0, 10); // the scope's 10 pool addresses, not the 1000 MACs seen
        Assert.InRange(pool.HeldCount, 0, 10);

        // A client that already holds an address is never refused, and a bound one frees its offer slot.
        var ack = await h.LeaseAsync("02:00:00:00:0f:01");
        Assert.Equal(DhcpMessageType.Ack, ack.Type);
    }

    [Fact]
    public void BindingAnotherAddressGivesUpTheMacsOtherHoldingsInThePool()
    {
        var h = new ServerHarness();
        var pool = h.Book.Pool(h.Scopes.FindByName("lab")!);
        var now = h.Time.GetUtcNow();
        uint a = Scopes.Ipv4.ToUInt32(IPAddress.Parse("10.99.20.100"));
        uint b = Scopes.Ipv4.ToUInt32(IPAddress.Parse("10.99.20.101"));
        uint c = Scopes.Ipv4.ToUInt32(IPAddress.Parse("10.99.20.102"));
        pool.MarkBound(a, Victim, now, now.AddHours(1));
        pool.MarkOffered(c, Victim, now, now.AddSeconds(30));
        pool.MarkBound(b, Victim, now, now.AddHours(1));
        Assert.False(pool.IsBoundTo(a, Victim, now));
        Assert.False(pool.IsHeldBy(c, Victim, now));
        Assert.True(pool.IsBoundTo(b, Victim, now));
        Assert.Equal(1, pool.HeldCount);
        Assert.Equal(0, pool.OfferCount);
    }

    [Fact]
    public async Task BindingAnotherAddressReleasesTheMacsOtherLeaseInTheStore()
    {
        var h = new ServerHarness();
        var ct = TestContext.Current.CancellationToken;
        var until = h.Time.GetUtcNow().AddHours(1);
        Assert.True(await h.Store.CommitAsync(new LeaseWrite(LeaseWriteKind.Bind, "lab", Scopes.Ipv4.ToUInt32(IPAddress.Parse("10.99.20.100")), Victim, until), ct));
        Assert.True(await h.Store.CommitAsync(new LeaseWrite(LeaseWriteKind.Bind, "lab", Scopes.Ipv4.ToUInt32(AttackerIp), Victim, until), ct));
        var row = Assert.Single(Bound(h));
        Assert.Equal(Scopes.Ipv4.ToUInt32(AttackerIp), row.Address);
    }
}
