using System.Net;
using BladeProvisioner.Dhcp.Protocol;
using BladeProvisioner.Dhcp.Tests.Support;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Dhcp.Tests.Integration;

/// <summary>A relay agent in the namespace forwards crafted requests with giaddr and option 82 to the real service.</summary>
public sealed class RelayOnTheWireTests(PostgresServer postgres)
{
    [Fact]
    public async Task RelayedDiscoverGetsTheGiaddrScopeAnswerOnPort67WithOption82Echoed()
    {
        Prerequisites.RequireProgram("/usr/bin/python3");
        await using var f = await DhcpHostFixture.StartAsync(postgres, "bpdhcp4", 23, s =>
        {
            s["Dhcp:Scopes:1:Name"] = "rack";
            s["Dhcp:Scopes:1:Subnet"] = "10.99.24.0/24";
            s["Dhcp:Scopes:1:Ranges:0"] = "10.99.24.50-10.99.24.60";
            s["Dhcp:Scopes:1:Router"] = "10.99.24.2";
            s["Dhcp:TrustedRelays:0"] = "10.99.24.2";
        });
        // The relay's address on the remote segment, reachable only over the test veth.
        TestNetwork.Run("ip", ["addr", "add", "10.99.24.1/24", "dev", f.Network.HostInterface], TimeSpan.FromSeconds(10));
        f.Network.Exec(TimeSpan.FromSeconds(10), "ip", "addr", "add", "10.99.24.2/24", "dev", f.Network.PeerInterface);
        byte[] option82 = [1, 5, .. "c3/s9"u8.ToArray(), 2, 3, 0xab, 0xcd, 0xef];
        var discover = PacketBuilder.Of(DhcpMessageType.Discover, "52:54:00:00:44:01").Pxe(7).With(DhcpOptionCode.RelayAgentInformation, option82);
        discover.RelayAddress = IPAddress.Parse("10.99.24.2");
        var script = Path.Combine(AppContext.BaseDirectory, "Integration", "relay_probe.py");
        var (code, stdout, stderr) = f.Network.Exec(TimeSpan.FromSeconds(60), "python3", script, "10.99.24.2", Convert.ToHexString(discover.Build()), "10.99.24.1");
        Assert.True(code == 0, $"relay probe failed: {stdout}\n{stderr}");
        var parts = stdout.Trim().Split(' ');
        Assert.Equal("10.99.24.1", parts[0]);
        Assert.Equal("67", parts[1]);
        var offer = new ReplyView(Convert.FromHexString(parts[2]));
        Assert.Equal(DhcpMessageType.Offer, offer.Type);
        Assert.Equal(IPAddress.Parse("10.99.24.50"), offer.YourAddress);
        Assert.Equal(IPAddress.Parse("10.99.24.2"), offer.RelayAddress);
        Assert.Equal(IPAddress.Parse("10.99.24.2"), offer.Address(DhcpOptionCode.Router));
        Assert.Equal(option82, offer.Option(DhcpOptionCode.RelayAgentInformation));
        Assert.Equal("ipxe.efi", offer.File);
    }
}
