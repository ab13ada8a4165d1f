using System.Net;
using BladeProvisioner.Dhcp.Diagnostics;
using BladeProvisioner.Dhcp.Protocol;
using BladeProvisioner.Dhcp.Tests.Support;
using BladeProvisioner.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BladeProvisioner.Dhcp.Tests.Integration;

/// <summary>
/// A datagram larger than the interface MTU carries unfragmented (here 60 KiB, reassembled from IP fragments by the
/// kernel) is dropped and counted before it is parsed, and the service goes on answering ordinary requests.
/// </summary>
public sealed class OversizedDatagramTests(PostgresServer postgres)
{
    [Fact]
    public async Task OversizedDatagramOverARealSocketIsDroppedAndCountedWhileTheServerKeepsAnswering()
    {
        Prerequisites.RequireProgram("/usr/bin/python3");
        await using var f = await DhcpHostFixture.StartAsync(postgres, "bpdhcp13", 33, s => s["Dhcp:TrustedRelays:0"] = "10.99.33.2");
        var relay = f.Network.PeerAddress;
        f.Network.Exec(TimeSpan.FromSeconds(10), "ip", "addr", "add", relay + "/24", "dev", f.Network.PeerInterface);
        var metrics = f.Host.Services.GetRequiredService<DhcpMetrics>();

        // A well-formed relayed DISCOVER, padded with 233 site-specific options to 60 KiB: it would parse and be offered.
        var big = PacketBuilder.Of(DhcpMessageType.Discover, "52:54:00:00:13:07").Pxe(7);
        big.RelayAddress = IPAddress.Parse(relay);
        for (var i = 0; i < 233; i++)
        {
            big.With(224, new byte[255]);
        }

        var oversized = big.Build();
        Assert.InRange(oversized.Length, 60_000, 65_507);
        Assert.Equal(DhcpParseStatus.Ok, DhcpParser.TryParse(oversized, out _));
        using var dir = new TempDirectory("bp-dhcp-big");
        var file = Path.Combine(dir.Path, "oversized.bin");
        await File.WriteAllBytesAsync(file, oversized, TestContext.Current.CancellationToken);
        var normal = PacketBuilder.Of(DhcpMessageType.Discover, "52:54:00:00:13:08").Pxe(7);
        normal.RelayAddress = IPAddress.Parse(relay);

        var script = Path.Combine(AppContext.BaseDirectory, "Integration", "oversized_probe.py");
        var (code, stdout, stderr) = f.Network.Exec(
            TimeSpan.FromSeconds(60), "python3", script, relay, f.Network.HostAddress, file, Convert.ToHexString(normal.Build()));

        Assert.True(code == 0, $"probe failed: {stdout}\n{stderr}");
        var lines = stdout.Trim().Split('\n');
        Assert.Equal("oversized-dropped", lines[0].Trim());
        Assert.Equal(1, metrics.DroppedFor(nameof(DhcpParseStatus.Oversized)));
        var parts = lines[1].Trim().Split(' ');
        var offer = new ReplyView(Convert.FromHexString(parts[2]));
        Assert.Equal(DhcpMessageType.Offer, offer.Type);
        Assert.Equal(IPAddress.Parse(relay), offer.RelayAddress);
    }
}
