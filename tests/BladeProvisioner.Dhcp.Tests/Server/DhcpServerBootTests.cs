using System.Net;
using BladeProvisioner.Core.Blades;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Dhcp.Configuration;
using BladeProvisioner.Dhcp.Protocol;
using BladeProvisioner.Dhcp.Server;
using BladeProvisioner.Dhcp.Tests.Support;

namespace BladeProvisioner.Dhcp.Tests.Server;

public sealed class DhcpServerBootTests
{
    [Fact]
    public async Task IpxeClientGetsTheBootScriptUrlNeverABinary()
    {
        var h = new ServerHarness();
        var ack = await h.LeaseAsync("52:54:00:00:01:01", b => b.Pxe(0).Ipxe());
        Assert.Equal("http://10.99.20.1:8080/boot/ipxe?ticket=T1", ack.Text(DhcpOptionCode.BootFileName));
        Assert.Equal("http://10.99.20.1:8080/boot/ipxe?ticket=T1", ack.File);
    }

    [Fact]
    public async Task EachAckToIpxeCarriesAFreshTicketForItsMacAndAddressNeverLogged()
    {
        var h = new ServerHarness();
        var ack = await h.LeaseAsync("52:54:00:00:01:11", b => b.Pxe(0).Ipxe());
        Assert.Equal("http://10.99.20.1:8080/boot/ipxe?ticket=T1", ack.File);
        Assert.Equal("http://10.99.20.1:8080/boot/ipxe?ticket=T1", ack.Text(DhcpOptionCode.BootFileName));
        var grant = Assert.Single(h.Tickets.Grants);
        Assert.Equal(("52:54:00:00:01:11", ack.YourAddress, "dhcp"), (grant.Mac, grant.Address!, grant.Via));

        // The OFFER carries none (iPXE boots from the ACK), the next ACK a new one; the timeline shows no ticket.
        var again = await h.LeaseAsync("52:54:00:00:01:11", b => b.Pxe(0).Ipxe());
        Assert.EndsWith("?ticket=T2", again.Text(DhcpOptionCode.BootFileName), StringComparison.Ordinal);
        Assert.DoesNotContain(h.Timeline.Records, r => r.Summary.Contains("ticket", StringComparison.Ordinal));

        // PXE firmware (not iPXE) and plain clients get none.
        await h.LeaseAsync("52:54:00:00:01:12", b => b.Pxe(0));
        Assert.Equal(2, h.Tickets.Grants.Count);
    }

    [Fact]
    public async Task WithoutATicketStoreIpxeIsNotAnsweredAndRetransmits()
    {
        var h = new ServerHarness();
        var (_, offer) = await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Discover, "52:54:00:00:01:13").Pxe(0).Ipxe().Build());
        h.Tickets.Fail = true;
        var request = PacketBuilder.Of(DhcpMessageType.Request, "52:54:00:00:01:13").Pxe(0).Ipxe()
            .With(DhcpOptionCode.ServerIdentifier, IPAddress.Parse(ServerHarness.ServerIp))
            .With(DhcpOptionCode.RequestedAddress, offer!.YourAddress);
        var (reply, _) = await h.SendAsync(request.Build());
        Assert.Null(reply);
    }

    [Fact]
    public async Task IpxeUserClassInRfc3004FormIsRecognised()
    {
        var h = new ServerHarness();
        var ack = await h.LeaseAsync("52:54:00:00:01:02", b => b.Pxe(7).With(DhcpOptionCode.UserClass, [4, .. "iPXE"u8.ToArray()]));
        Assert.EndsWith("/boot/ipxe?ticket=T1", ack.File, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "undionly.kpxe")]
    [InlineData(7, "ipxe.efi")]
    [InlineData(9, "ipxe.efi")]
    [InlineData(6, "ipxe.efi")]
    public async Task PxeFirmwareGetsTheLoaderForItsArchitecture(ushort arch, string file)
    {
        var h = new ServerHarness();
        var ack = await h.LeaseAsync("52:54:00:00:01:03", b => b.Pxe(arch));
        Assert.Equal(file, ack.File);
        Assert.Equal(file, ack.Text(DhcpOptionCode.BootFileName));
        Assert.Equal("10.99.20.1", ack.Text(DhcpOptionCode.TftpServerName));
        Assert.Equal(IPAddress.Parse("10.99.20.1"), ack.ServerAddress);
        Assert.Equal("PXEClient", ack.Text(DhcpOptionCode.VendorClass));
        Assert.Equal(new byte[] { 6, 1, 8, 255 }, ack.Option(DhcpOptionCode.VendorSpecific));
    }

    [Fact]
    public async Task UnsupportedArchitectureGetsAnAddressButNoBootFile()
    {
        var h = new ServerHarness();
        var ack = await h.LeaseAsync("52:54:00:00:01:04", b => b.Pxe(11));
        Assert.Equal(DhcpMessageType.Ack, ack.Type);
        Assert.Equal(string.Empty, ack.File);
        Assert.False(ack.Has(DhcpOptionCode.BootFileName));
    }

    [Fact]
    public async Task BladeSetToSnpOnlyGetsSnpOnly()
    {
        var h = new ServerHarness();
        h.Directory.Blades["52:54:00:00:01:05"] = new BladeBootProfile(7, "52:54:00:00:01:05", BladeState.Discovered, "blade7", UefiLoader.SnpOnly, false);
        var ack = await h.LeaseAsync("52:54:00:00:01:05", b => b.Pxe(7));
        Assert.Equal("snponly.efi", ack.File);
        Assert.Equal("blade7", ack.Text(DhcpOptionCode.HostName));
    }

    [Fact]
    public async Task ProductOverrideChoosesTheUefiLoader()
    {
        var options = ServerHarness.DefaultOptions();
        options.UefiLoaderByProduct["Odd Blade X1"] = UefiLoader.SnpOnly;
        var h = new ServerHarness(options);
        h.Directory.Blades["52:54:00:00:01:06"] = new BladeBootProfile(8, "52:54:00:00:01:06", BladeState.Discovered, null, UefiLoader.IpxeEfi, false) { Product = "Odd Blade X1" };
        var ack = await h.LeaseAsync("52:54:00:00:01:06", b => b.Pxe(7));
        Assert.Equal("snponly.efi", ack.File);
    }

    [Fact]
    public async Task HttpBootClientGetsAnHttpUrlToTheEfiBinary()
    {
        var h = new ServerHarness();
        var ack = await h.LeaseAsync("52:54:00:00:01:07", b => b.With(DhcpOptionCode.VendorClass, "HTTPClient:Arch:00016:UNDI:003000").Arch(16));
        Assert.Equal("http://10.99.20.1:8080/boot/files/ipxe.efi", ack.Text(DhcpOptionCode.BootFileName));
        Assert.Equal("HTTPClient", ack.Text(DhcpOptionCode.VendorClass));
    }

    [Fact]
    public async Task FirstSightingEnrolsTheBladeAndRecordsTheExchange()
    {
        var h = new ServerHarness();
        var uuid = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        await h.LeaseAsync("52:54:00:00:01:08", b => b.Pxe(7).With(DhcpOptionCode.ClientMachineId, [0, .. uuid]));
        var sighting = h.Directory.Sightings.First();
        Assert.Equal("52:54:00:00:01:08", sighting.Mac);
        Assert.Equal(7, sighting.ClientArchitecture);
        Assert.Equal(BootPlatform.Uefi, sighting.Platform);
        Assert.Equal(new Guid(uuid), sighting.SmbiosUuid);
        var kinds = h.Timeline.Records.Select(r => r.Kind).ToList();
        Assert.Equal(["dhcp.offer", "dhcp.ack"], kinds);
        var ack = h.Timeline.Records.Last();
        Assert.Equal("52:54:00:00:01:08", ack.Mac);
        Assert.Equal("ipxe.efi", ack.Details!["bootFile"]);
        Assert.Equal("12345678", ack.Details["xid"]);
        Assert.Equal(7, ack.Details["arch"]);
    }

    [Fact]
    public async Task ProxyModeHandsOutNoAddressOnlyBootInformation()
    {
        var h = new ServerHarness(ServerHarness.DefaultOptions(DhcpMode.Proxy));
        var (reply, offer) = await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Discover, "52:54:00:00:02:01").Pxe(7).Build());
        Assert.Equal(DhcpMessageType.Offer, offer!.Type);
        Assert.Equal(IPAddress.Any, offer.YourAddress);
        Assert.False(offer.Has(DhcpOptionCode.LeaseTime));
        Assert.False(offer.Has(DhcpOptionCode.SubnetMask));
        Assert.Equal("ipxe.efi", offer.File);
        Assert.Equal("PXEClient", offer.Text(DhcpOptionCode.VendorClass));
        Assert.Equal(IPAddress.Broadcast, reply!.Destination.Address);

        var request = PacketBuilder.Of(DhcpMessageType.Request, "52:54:00:00:02:01").Pxe(7);
        request.ClientAddress = IPAddress.Parse("10.99.20.77");
        var (ackReply, ack) = await h.SendAsync(request.Build(), DhcpServer.ProxyPort, "10.99.20.77");
        Assert.Equal(DhcpMessageType.Ack, ack!.Type);
        Assert.Equal("ipxe.efi", ack.File);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.99.20.77"), 68), ackReply!.Destination);
        Assert.Empty(((BladeProvisioner.Dhcp.Leases.InMemoryLeaseStore)h.Store).Snapshot());

        // iPXE behind the proxy: a ticket bound to the address it names, or (no ciaddr) to its first use.
        var ipxe = PacketBuilder.Of(DhcpMessageType.Request, "52:54:00:00:02:01").Pxe(7).Ipxe();
        ipxe.ClientAddress = IPAddress.Parse("10.99.20.77");
        var (_, ipxeAck) = await h.SendAsync(ipxe.Build(), DhcpServer.ProxyPort, "10.99.20.77");
        Assert.EndsWith("/boot/ipxe?ticket=T1", ipxeAck!.Text(DhcpOptionCode.BootFileName), StringComparison.Ordinal);
        var (_, ipxeOffer) = await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Discover, "52:54:00:00:02:01").Pxe(7).Ipxe().Build());
        Assert.EndsWith("?ticket=T2", ipxeOffer!.Text(DhcpOptionCode.BootFileName), StringComparison.Ordinal);
        Assert.Equal([IPAddress.Parse("10.99.20.77"), null], h.Tickets.Grants.Select(g => g.Address));
        Assert.All(h.Tickets.Grants, g => Assert.Equal("proxy", g.Via));
    }

    /// <summary>
    /// What iPXE needs to take a proxy OFFER (iPXE net/udp/dhcp.c): a server identifier and vendor class PXEClient to
    /// select it as the ProxyDHCP offer, siaddr plus a boot file so it uses the offer without a REQUEST to port 4011,
    /// and never 175.176 (no-pxedhcp), which tells iPXE to ignore ProxyDHCP altogether.
    /// </summary>
    [Fact]
    public async Task ProxyOfferToIpxeIsTakenAsProxyDhcpAndNeverSaysNoPxedhcp()
    {
        var h = new ServerHarness(ServerHarness.DefaultOptions(DhcpMode.Proxy));
        var (reply, offer) = await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Discover, "52:54:00:00:02:03").Pxe(0).Ipxe().Build());
        Assert.Equal(DhcpMessageType.Offer, offer!.Type);
        Assert.Equal(IPAddress.Any, offer.YourAddress);
        Assert.Equal(IPAddress.Parse(ServerHarness.ServerIp), offer.ServerAddress);
        Assert.True(offer.Has(DhcpOptionCode.ServerIdentifier));
        Assert.Equal("PXEClient", offer.Text(DhcpOptionCode.VendorClass));
        Assert.EndsWith("/boot/ipxe?ticket=T1", offer.File, StringComparison.Ordinal);
        Assert.Equal(offer.File, offer.Text(DhcpOptionCode.BootFileName));
        Assert.False(offer.Has(DhcpOptionCode.IpxeEncapsulated));
        Assert.False(offer.Has(DhcpOptionCode.LeaseTime));
        Assert.False(offer.Has(DhcpOptionCode.Router));
        Assert.Equal(IPAddress.Broadcast, reply!.Destination.Address);
        Assert.Equal(["dhcp.proxy-offer"], h.Timeline.Records.Select(r => r.Kind));
    }

    [Fact]
    public async Task ProxyModeIgnoresPlainClientsAndRequestsOnPort67()
    {
        var h = new ServerHarness(ServerHarness.DefaultOptions(DhcpMode.Proxy));
        Assert.Null((await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Discover, "02:00:00:00:05:01").Build())).Reply);
        Assert.Null((await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Request, "52:54:00:00:02:02").Pxe(0).With(DhcpOptionCode.RequestedAddress, IPAddress.Parse("10.99.20.100")).Build())).Reply);
    }
}
