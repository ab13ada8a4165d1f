using System.Net;
using System.Text;
using BladeProvisioner.Tftp.Protocol;
using BladeProvisioner.Tftp.Server;
using BladeProvisioner.Tftp.Tests.Support;

namespace BladeProvisioner.Tftp.Tests.Server;

/// <summary>
/// A million random and mutated datagrams through everything the well-known port does with untrusted bytes
/// (parse, triage, path policy, negotiation, ACK/ERROR readers), then a live server flooded with a sample.
/// </summary>
public sealed class FuzzTests
{
    private const int Iterations = 1_000_000;

    private static readonly byte[][] Seeds =
    [
        TestTftpClient.Request("ipxe.efi"),
        TestTftpClient.Request("boot/undionly.kpxe", "netascii", ("blksize", "1468"), ("tsize", "0")),
        TestTftpClient.Request("snponly.efi", "octet", ("windowsize", "16"), ("timeout", "1"), ("blksize", "65464")),
        TestTftpClient.RawRequest(2, "upload", "octet"),
        TestTftpClient.Ack(1),
        TestTftpClient.Error(8, "no"),
        [0, 6, .. Encoding.ASCII.GetBytes("blksize\01468\0")],
        [0, 3, 0, 1, 1, 2, 3, 4],
    ];

    internal static byte[] NextPacket(Random random)
    {
        if (random.Next(4) == 0)
        {
            var noise = new byte[random.Next(0, 600)];
            random.NextBytes(noise);
            if (noise.Length >= 2 && random.Next(2) == 0)
            {
                noise[0] = 0;
                noise[1] = (byte)random.Next(0, 8);
            }

            return noise;
        }

        var packet = new List<byte>(Seeds[random.Next(Seeds.Length)]);
        var mutations = random.Next(1, 6);
        for (var m = 0; m < mutations; m++)
        {
            var at = packet.Count == 0 ? 0 : random.Next(packet.Count);
            switch (random.Next(7))
            {
                case 0 when packet.Count > 0:
                    packet[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    packet.Insert(at, (byte)random.Next(256));
                    break;
                case 2 when packet.Count > 0:
                    packet.RemoveAt(at);
                    break;
                case 3:
                    packet.RemoveRange(at, packet.Count - at);
                    break;
                case 4:
                    packet.Insert(at, 0);
                    break;
                case 5:
                    packet.AddRange(Encoding.ASCII.GetBytes(random.Next(3) switch { 0 => "blksize\0", 1 => "9999999\0", _ => "../\0" }));
                    break;
                default:
                    packet.InsertRange(at, Encoding.ASCII.GetBytes(random.Next(2) == 0 ? "/../" : "\\"));
                    break;
            }
        }

        return [.. packet];
    }

    [Fact]
    public void AMillionRandomAndMutatedPacketsNeverThrow()
    {
        var random = new Random(20261121);
        var served = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var packet = NextPacket(random);
            var triage = RequestTriage.Evaluate(packet, 255);
            TftpPacket.TryReadAck(packet, out _);
            TftpPacket.TryReadError(packet, out _, out _);
            if (triage.Action == TriageAction.Serve)
            {
                served++;
                Assert.DoesNotContain("..", triage.Request!.FileName.Split('/'));
                Assert.False(triage.Request.FileName.StartsWith('/'));
                OptionNegotiator.Negotiate(triage.Request.Options, 1468, 64, () => 1, out _);
            }
            else if (triage.Action == TriageAction.Refuse)
            {
                Assert.NotEmpty(TftpPacket.Error(triage.Code, triage.Message));
            }
        }

        Assert.InRange(served, 1, Iterations - 1);
    }

    [Fact]
    public async Task ALiveServerFloodedWithMutatedPacketsKeepsServing()
    {
        await using var server = LoopbackServer.Start(o =>
        {
            o.Timeout = TimeSpan.FromMilliseconds(20);
            o.MaxRetries = 0;
        });
        var content = server.AddFile("ipxe.efi", 4000);
        var random = new Random(7);
        using (var attacker = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp))
        {
            attacker.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            for (var i = 0; i < 20_000; i++)
            {
                attacker.SendTo(NextPacket(random), server.EndPoint);

                // Paced a little: on a busy machine an unpaced burst overflows the socket buffer and the kernel, not the
                // server, drops most of it, which would leave nothing to count.
                if (i % 100 == 99)
                {
                    await Task.Delay(1, TestContext.Current.CancellationToken);
                }
            }
        }

        using var client = new TestTftpClient(server.EndPoint);
        // The flood's transfers live by the 20 ms timer; the verifying client asks for 10 s so a stall cannot end it.
        var (data, _) = await client.DownloadAsync("ipxe.efi", "octet", ("blksize", "1468"), ("timeout", "10"));

        Assert.Equal(content, data);
        Assert.True(server.Metrics.MalformedDroppedCount + server.Metrics.MalformedAnsweredCount > 1000);
    }
}
