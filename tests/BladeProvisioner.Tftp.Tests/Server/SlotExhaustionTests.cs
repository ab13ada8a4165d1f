using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Text;
using BladeProvisioner.Tftp.Tests.Support;

namespace BladeProvisioner.Tftp.Tests.Server;

/// <summary>
/// A host on the provisioning network that asks for the longest timeout RFC 2349 allows and then never ACKs, from many
/// source ports of one address, must neither take every transfer slot nor hold one for long.
/// </summary>
public sealed class SlotExhaustionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task StalledClientFromManyPortsCannotStarveOthersAndItsTransfersEndWithinTheCap()
    {
        await using var server = LoopbackServer.Start(o =>
        {
            o.MaxConcurrentTransfers = 6;
            o.MaxTransfersPerClient = 2;
            o.MaxTransferDuration = Lifetime;
        });
        var file = server.AddFile("ipxe.efi", 200_000);

        // Eight RRQs with timeout=255 from eight ports of 127.0.0.1; none is ever acknowledged.
        var stalled = Enumerable.Range(0, 8).Select(_ => new TestTftpClient(server.EndPoint)).ToList();
        var clock = Stopwatch.StartNew();
        try
        {
            foreach (var client in stalled)
            {
                client.SendToServer(TestTftpClient.Request("ipxe.efi", "octet", ("timeout", "255"), ("blksize", "1468")));
            }

            var accepted = new List<TestTftpClient>();
            var refused = 0;
            foreach (var client in stalled)
            {
                var first = await client.ReceiveAsync(Wait);
                Assert.NotNull(first);
                var opcode = BinaryPrimitives.ReadUInt16BigEndian(first);
                if (opcode == 6)
                {
                    // RFC 2349: a timeout beyond the server's cap is not acknowledged.
                    Assert.False(TestTftpClient.ParseOptionAck(first).ContainsKey("timeout"), "timeout=255 was acknowledged");
                    accepted.Add(client);
                }
                else
                {
                    Assert.Equal(5, opcode);
                    refused++;
                }
            }

            Assert.Equal(2, accepted.Count);
            Assert.Equal(6, refused);

            // Another blade, at another address, is served at once while the stalled transfers still hold their slots.
            using (var other = new TestTftpClient(server.EndPoint, IPAddress.Parse("127.0.0.2")))
            {
                var (data, _) = await other.DownloadAsync("ipxe.efi", "octet", ("blksize", "1468"));
                Assert.Equal(file, data);
            }

            // The stalled transfers end by the lifetime cap: an ERROR on the wire, not hours of backoff.
            foreach (var client in accepted)
            {
                var next = await client.ReceiveAsync(Lifetime + Wait);
                Assert.NotNull(next);
                Assert.Equal(5, BinaryPrimitives.ReadUInt16BigEndian(next));
                Assert.Contains("too long", Encoding.ASCII.GetString(next, 4, next.Length - 5), StringComparison.Ordinal);
            }

            Assert.InRange(clock.Elapsed, Lifetime - TimeSpan.FromMilliseconds(200), Lifetime + Wait);
            // The timeline record is the last thing a transfer does: once both are there, counters and slots are final.
            await Eventually(() => server.Timeline.Records.Count(r => r.Kind == "tftp.transfer" && (string?)RecordingTimeline.Detail(r, "outcome") == "expired") == 2);
            Assert.Equal(2, server.Metrics.Expired);
            Assert.Equal(0, server.Context.ActiveTransfers);
            Assert.Equal(6, server.Metrics.RefusedClientLimitCount);
        }
        finally
        {
            stalled.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task ANegotiatedTimeoutWithinTheCapIsAcknowledgedAsSent()
    {
        await using var server = LoopbackServer.Start(o => o.MaxNegotiatedTimeout = TimeSpan.FromSeconds(5));
        server.AddFile("ipxe.efi", 3000);
        using var client = new TestTftpClient(server.EndPoint);

        var (_, oack) = await client.DownloadAsync("ipxe.efi", "octet", ("timeout", "5"));

        Assert.Equal("5", oack["timeout"]);
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < Wait, "condition not reached in time");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
