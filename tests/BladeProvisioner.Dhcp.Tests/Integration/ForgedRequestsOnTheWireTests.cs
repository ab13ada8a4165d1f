using System.Net;
using BladeProvisioner.Core.Leases;
using BladeProvisioner.Dhcp.Diagnostics;
using BladeProvisioner.Dhcp.Protocol;
using BladeProvisioner.Dhcp.Tests.Support;
using BladeProvisioner.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BladeProvisioner.Dhcp.Tests.Integration;

/// <summary>
/// The real service on a real socket and PostgreSQL, and a second host on the chassis network (in the namespace) sending
/// crafted DHCP: security review findings 3 (forgeable leased-address proof), 9 (relay data from anyone) and part of 15
/// (a relayed client's unicast renewal).
/// </summary>
public sealed class ForgedRequestsOnTheWireTests(PostgresServer postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task AHostInTheChassisCannotGetALeaseInAVictimsMacNorReleaseOrDeclineTheVictimsLease()
    {
        Prerequisites.RequireProgram("/usr/bin/busybox");
        Prerequisites.RequireProgram("/usr/bin/python3");
        await using var f = await DhcpHostFixture.StartAsync(postgres, "bpsecd1", 70, s => s["Dhcp:DeclineWindow"] = "00:00:01");
        var ct = TestContext.Current.CancellationToken;

        // The victim: a real client that takes its lease and keeps it.
        var dhcp = f.Network.Exec(Timeout, "busybox", "udhcpc", "-i", f.Network.PeerInterface, "-n", "-q", "-f", "-t", "5", "-T", "2", "-s", "/bin/true");
        Assert.True(dhcp.ExitCode == 0, $"udhcpc: {dhcp.Stdout}{dhcp.Stderr}");
        var victim = f.Network.Exec(Timeout, "cat", $"/sys/class/net/{f.Network.PeerInterface}/address").Stdout.Trim();
        var victimAddress = $"{f.Prefix}.100";
        Assert.Equal([(victimAddress, victim, "Bound")], await f.LeasesAsync());

        // The attacker: another host on the segment, at an address of its own, with the victim's MAC in chaddr.
        var attacker = $"{f.Prefix}.120";
        f.Network.Exec(Timeout, "ip", "addr", "add", attacker + "/24", "dev", f.Network.PeerInterface);
        var server = IPAddress.Parse(f.Network.HostAddress);
        PacketBuilder Forged(DhcpMessageType type, uint xid, string mac = "")
        {
            var b = PacketBuilder.Of(type, mac.Length == 0 ? victim : mac);
            b.Xid = xid;
            b.Broadcast = true;
            return b;
        }

        var initReboot = Forged(DhcpMessageType.Request, 1).With(DhcpOptionCode.RequestedAddress, IPAddress.Parse(attacker));
        var selecting = Forged(DhcpMessageType.Request, 2).With(DhcpOptionCode.ServerIdentifier, server).With(DhcpOptionCode.RequestedAddress, IPAddress.Parse(attacker));
        var renewing = Forged(DhcpMessageType.Request, 3);
        renewing.ClientAddress = IPAddress.Parse(attacker);
        var unknown = Forged(DhcpMessageType.Request, 4, "52:54:00:5e:cd:01").With(DhcpOptionCode.RequestedAddress, IPAddress.Parse($"{f.Prefix}.121"));
        var release = Forged(DhcpMessageType.Release, 5).With(DhcpOptionCode.ServerIdentifier, server);
        release.ClientAddress = IPAddress.Parse(victimAddress);
        var decline = Forged(DhcpMessageType.Decline, 6).With(DhcpOptionCode.ServerIdentifier, server).With(DhcpOptionCode.RequestedAddress, IPAddress.Parse(victimAddress));

        var lines = Probe(f, "0.0.0.0", 68, initReboot, selecting, renewing, unknown, release, decline);
        Assert.Equal(DhcpMessageType.Nak, Reply(lines[0]).Type);   // INIT-REBOOT: we know this MAC by another address
        Assert.Equal(DhcpMessageType.Nak, Reply(lines[1]).Type);   // SELECTING: never offered to it
        Assert.Equal(DhcpMessageType.Nak, Reply(lines[2]).Type);   // RENEWING: not its binding
        Assert.Equal("silent", lines[3]);                          // INIT-REBOOT of a client we have no record of
        Assert.Equal(["silent", "silent"], lines[4..]);            // RELEASE and DECLINE are never answered

        var metrics = f.Host.Services.GetRequiredService<DhcpMetrics>();
        await Eventually.UntilAsync(
            () => Task.FromResult((metrics.DroppedFor("forged_release"), metrics.DroppedFor("forged_decline"), metrics.DroppedFor("init_reboot_unknown_client"))),
            counts => counts == (1, 1, 1));

        // The proof other modules key on (MAC, leased address) names the victim's own address only.
        var directory = f.Host.Services.GetRequiredService<ILeaseDirectory>();
        Assert.False(await directory.IsBoundToAsync(victim, IPAddress.Parse(attacker), ct));
        Assert.True(await directory.IsBoundToAsync(victim, IPAddress.Parse(victimAddress), ct));
        Assert.Equal([(victimAddress, victim, "Bound")], await f.LeasesAsync());
    }

    [Fact]
    public async Task RelayDataIsTakenOnlyFromTheTrustedRelayAndItsClientRenewsUnicastInItsOwnScope()
    {
        Prerequisites.RequireProgram("/usr/bin/python3");
        const string relay = "10.99.71.2";      // the relay agent's server-facing address (trusted)
        const string giaddr = "10.99.72.1";     // its address on the blades' segment
        const string impostor = "10.99.71.3";   // another host on the server's segment
        await using var f = await DhcpHostFixture.StartAsync(postgres, "bpsecd2", 71, s =>
        {
            s["Dhcp:Scopes:1:Name"] = "rack";
            s["Dhcp:Scopes:1:Subnet"] = "10.99.72.0/24";
            s["Dhcp:Scopes:1:Ranges:0"] = "10.99.72.50-10.99.72.60";
            s["Dhcp:Scopes:1:Router"] = giaddr;
            s["Dhcp:TrustedRelays:0"] = relay;
        });
        f.Network.Exec(Timeout, "ip", "addr", "add", relay + "/24", "dev", f.Network.PeerInterface);
        f.Network.Exec(Timeout, "ip", "addr", "add", impostor + "/24", "dev", f.Network.PeerInterface);
        f.Network.Exec(Timeout, "ip", "addr", "add", giaddr + "/32", "dev", "lo");
        // The blades' segment is reached through the relay, as a router would have it.
        var route = TestNetwork.Run("ip", ["route", "add", "10.99.72.0/24", "via", relay, "dev", f.Network.HostInterface], Timeout);
        Assert.True(route.ExitCode == 0, route.Stderr);
        byte[] option82 = [1, 5, .. "c7/s3"u8.ToArray(), 2, 3, 0x0e, 0x0c, 0x07];
        const string mac = "52:54:00:5e:cd:72";

        // Finding 9: an impostor relays a DISCOVER claiming a slot (giaddr its own address, so any answer would reach it).
        var forged = PacketBuilder.Of(DhcpMessageType.Discover, mac).Pxe(7).With(DhcpOptionCode.RelayAgentInformation, option82);
        forged.Xid = 0x0bad;
        forged.RelayAddress = IPAddress.Parse(impostor);
        Assert.Equal(["silent"], Probe(f, impostor, 67, forged));
        var metrics = f.Host.Services.GetRequiredService<DhcpMetrics>();
        Assert.Equal(1, metrics.DroppedFor("untrusted_relay"));

        // The trusted relay gets the client its lease in the rack scope.
        PacketBuilder Relayed(DhcpMessageType type, uint xid)
        {
            var b = PacketBuilder.Of(type, mac).Pxe(7).With(DhcpOptionCode.RelayAgentInformation, option82);
            b.Xid = xid;
            b.RelayAddress = IPAddress.Parse(giaddr);
            return b;
        }

        var request = Relayed(DhcpMessageType.Request, 2).With(DhcpOptionCode.ServerIdentifier, IPAddress.Parse(f.Network.HostAddress))
            .With(DhcpOptionCode.RequestedAddress, IPAddress.Parse("10.99.72.50"));
        var relayed = Probe(f, "0.0.0.0", 67, Relayed(DhcpMessageType.Discover, 1), request);
        var offer = Reply(relayed[0]);
        Assert.Equal((DhcpMessageType.Offer, IPAddress.Parse("10.99.72.50")), (offer.Type, offer.YourAddress));
        Assert.Equal(option82, offer.Option(DhcpOptionCode.RelayAgentInformation));
        var ack = Reply(relayed[1]);
        Assert.Equal((DhcpMessageType.Ack, IPAddress.Parse("10.99.72.50")), (ack.Type, ack.YourAddress));

        // Finding 15: the client renews by unicast from its address (no relay, giaddr 0); the ACK comes back to it.
        f.Network.Exec(Timeout, "ip", "addr", "add", "10.99.72.50/32", "dev", "lo");
        var renew = PacketBuilder.Of(DhcpMessageType.Request, mac).Pxe(7);
        renew.Xid = 3;
        renew.ClientAddress = IPAddress.Parse("10.99.72.50");
        var line = Assert.Single(Probe(f, "10.99.72.50", 68, renew));
        Assert.StartsWith($"reply {f.Network.HostAddress} 67 ", line, StringComparison.Ordinal);
        var renewed = Reply(line);
        Assert.Equal((DhcpMessageType.Ack, IPAddress.Parse("10.99.72.50"), IPAddress.Parse(giaddr)), (renewed.Type, renewed.YourAddress, renewed.Address(DhcpOptionCode.Router)));
        Assert.Equal([("10.99.72.50", mac, "Bound")], await f.LeasesAsync());
    }

    private static string[] Probe(DhcpHostFixture f, string address, int port, params PacketBuilder[] packets)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Integration", "dhcp_probe.py");
        var (code, stdout, stderr) = f.Network.Exec(Timeout, "python3", [script, address, port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            f.Network.HostAddress, "2", .. packets.Select(p => Convert.ToHexString(p.Build()))]);
        Assert.True(code == 0, $"probe failed: {stdout}\n{stderr}");
        var lines = stdout.Trim().Split('\n', StringSplitOptions.TrimEntries);
        Assert.Equal(packets.Length, lines.Length);
        return lines;
    }

    private static ReplyView Reply(string line)
    {
        Assert.StartsWith("reply ", line, StringComparison.Ordinal);
        return new ReplyView(Convert.FromHexString(line.Split(' ')[3]));
    }
}
