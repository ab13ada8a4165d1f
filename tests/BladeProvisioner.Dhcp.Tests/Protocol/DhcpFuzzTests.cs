using System.Net;
using BladeProvisioner.Dhcp.Protocol;
using BladeProvisioner.Dhcp.Tests.Support;

namespace BladeProvisioner.Dhcp.Tests.Protocol;

/// <summary>
/// Feeds random and mutated packets through the parser and the server's handling. Nothing may escape; the server must
/// still answer afterwards. A failing input is printed as a byte array to keep as a regression row.
/// </summary>
public sealed class DhcpFuzzTests
{
    private const int Iterations = 1_000_000;

    [Fact]
    public async Task MillionRandomAndMutatedPacketsNeverEscapeTheServer()
    {
        var h = new ServerHarness();
        var corpus = Corpus();
        var random = new Random(20261121);
        var buffer = new byte[700];
        long accepted = 0;
        for (int i = 0; i < Iterations; i++)
        {
            int length = i % 4 == 0 ? RandomPacket(random, buffer) : Mutate(random, corpus[random.Next(corpus.Length)], buffer);
            var packet = buffer.AsMemory(0, length);
            try
            {
                if (DhcpParser.TryParse(packet.Span, out _) == DhcpParseStatus.Ok)
                {
                    accepted++;
                }

                await h.SendAsync(packet.ToArray());
            }
            catch (Exception ex)
            {
                Assert.Fail($"Input #{i} escaped with {ex.GetType().Name}: {ex.Message}\nnew byte[] {{ {string.Join(", ", packet.ToArray().Select(b => $"0x{b:x2}"))} }}");
            }
        }

        Assert.True(h.Metrics.DroppedTotal > Iterations / 2, $"only {h.Metrics.DroppedTotal} dropped");
        Assert.True(accepted > 1000, $"mutations too destructive: {accepted} parsed");
        var (_, offer) = await h.SendAsync(PacketBuilder.Of(DhcpMessageType.Inform, "02:00:00:00:99:01").Build());
        Assert.Null(offer); // INFORM without ciaddr is ignored, and the server still runs
        var inform = PacketBuilder.Of(DhcpMessageType.Inform, "02:00:00:00:99:01");
        inform.ClientAddress = IPAddress.Parse("10.99.20.40");
        var (_, ack) = await h.SendAsync(inform.Build());
        Assert.Equal(DhcpMessageType.Ack, ack!.Type);
    }

    private static byte[][] Corpus()
    {
        var server = IPAddress.Parse(ServerHarness.ServerIp);
        var renew = PacketBuilder.Of(DhcpMessageType.Request, "02:00:00:00:00:31");
        renew.ClientAddress = IPAddress.Parse("10.99.20.100");
        var relayed = PacketBuilder.Of(DhcpMessageType.Discover, "02:00:00:00:00:32").Pxe(7).With(DhcpOptionCode.RelayAgentInformation, 1, 2, 65, 66);
        relayed.RelayAddress = IPAddress.Parse("10.99.21.1");
        return
        [
            PacketBuilder.Of(DhcpMessageType.Discover).Build(),
            PacketBuilder.Of(DhcpMessageType.Discover).Pxe(0).Ipxe().With(DhcpOptionCode.ClientMachineId, new byte[17]).Build(),
            PacketBuilder.Of(DhcpMessageType.Request).With(DhcpOptionCode.ServerIdentifier, server).With(DhcpOptionCode.RequestedAddress, IPAddress.Parse("10.99.20.101")).Build(pad: false),
            PacketBuilder.Of(DhcpMessageType.Decline).With(DhcpOptionCode.RequestedAddress, IPAddress.Parse("10.99.20.101")).Build(),
            PacketBuilder.Of(DhcpMessageType.Release).With(DhcpOptionCode.Overload, 3).Build(),
            renew.Build(),
            relayed.Build(),
        ];
    }

    private static int RandomPacket(Random random, byte[] buffer)
    {
        int length = random.Next(buffer.Length);
        random.NextBytes(buffer.AsSpan(0, length));
        if (length > 240 && random.Next(2) == 0)
        {
            // Plausible header, random options: reaches the option walker.
            buffer[0] = 1;
            buffer[1] = 1;
            buffer[2] = 6;
            buffer[236] = 0x63;
            buffer[237] = 0x82;
            buffer[238] = 0x53;
            buffer[239] = 0x63;
        }

        return length;
    }

    private static int Mutate(Random random, byte[] source, byte[] buffer)
    {
        int length = source.Length;
        source.CopyTo(buffer, 0);
        int edits = 1 + random.Next(4);
        for (int e = 0; e < edits; e++)
        {
            switch (random.Next(6))
            {
                case 0:
                    buffer[random.Next(length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    buffer[240 + random.Next(Math.Max(1, length - 240))] = (byte)random.Next(256);
                    break;
                case 2:
                    length = random.Next(length + 1);
                    break;
                case 3:
                    int extra = random.Next(Math.Min(64, buffer.Length - length));
                    random.NextBytes(buffer.AsSpan(length, extra));
                    length += extra;
                    break;
                case 4:
                    buffer[240 + random.Next(Math.Max(1, length - 240))] = (byte)(random.Next(2) == 0 ? 0 : 255);
                    break;
                default:
                    buffer[random.Next(Math.Min(length + 1, 244))] = (byte)random.Next(256);
                    break;
            }
        }

        return length;
    }
}
