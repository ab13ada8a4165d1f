using System.Text;
using BladeProvisioner.Tftp.Tests.Support;

namespace BladeProvisioner.Tftp.Tests.Server;

public sealed class MalformedPacketTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    /// <summary>Packet (Latin-1 text), expected error code, or -1 for "dropped without an answer".</summary>
    public static TheoryData<string, int> Cases() => new()
    {
        { "", -1 },
        { "\0", -1 },
        { "\0\u0005\0\u0001some error\0", -1 },
        { "\0\u0006blksize\0512\0", -1 },
        { "\0\u0009junk", 4 },
        { "\u00ff\u00ff", 4 },
        { "\0\u0003\0\u0001data", 5 },
        { "\0\u0004\0\u0001", 5 },
        { "\0\u0001", 4 },
        { "\0\u0001ipxe.efi", 4 },
        { "\0\u0001\0octet\0", 4 },
        { "\0\u0001ipxe.efi\0", 4 },
        { "\0\u0001ipxe.efi\0octet", 4 },
        { "\0\u0001ipxe.efi\0binary\0", 4 },
        { "\0\u0001ipxe.efi\0mail\0", 4 },
        { "\0\u0001ipxe.efi\0octet\0blksize", 4 },
        { "\0\u0001ipxe.efi\0octet\0blksize\0", 4 },
        { "\0\u0001ipxe.efi\0octet\0blksize\01468", 4 },
        { "\0\u0001ipxe.efi\0octet\0blksize\0512\0blksize\0512\0", 8 },
        { "\0\u0001ipxe.efi\0octet\0blksize\07\0", 8 },
        { "\0\u0001ipxe.efi\0octet\0blksize\0big\0", 8 },
        { "\0\u0001ipxe.efi\0octet\0windowsize\00\0", 8 },
        { "\0\u0001ipxe.efi\0octet\0timeout\0300\0", 8 },
        { "\0\u0001ipx\u0007.efi\0octet\0", 2 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task MalformedPacketsAreAnsweredWithAnErrorOrDroppedAndTheServerKeepsServing(string text, int expectedCode)
    {
        await using var server = LoopbackServer.Start();
        var content = server.AddFile("ipxe.efi", 3000);
        using var client = new TestTftpClient(server.EndPoint);

        client.SendToServer(Encoding.Latin1.GetBytes(text));
        var answer = await client.ReceiveAsync(expectedCode < 0 ? TimeSpan.FromMilliseconds(200) : Wait);

        if (expectedCode < 0)
        {
            Assert.Null(answer);
        }
        else
        {
            Assert.NotNull(answer);
            Assert.Equal(5, answer[1]);
            Assert.Equal(expectedCode, (answer[2] << 8) | answer[3]);
            Assert.Equal(0, answer[^1]);
        }

        using var next = new TestTftpClient(server.EndPoint);
        var (data, _) = await next.DownloadAsync("ipxe.efi");
        Assert.Equal(content, data);
    }

    [Fact]
    public async Task MalformedPacketsAreCountedByAction()
    {
        await using var server = LoopbackServer.Start();
        using var client = new TestTftpClient(server.EndPoint);

        client.SendToServer([0]);
        client.SendToServer([0, 9]);
        await client.ReceiveAsync(Wait);

        Assert.Equal(1, server.Metrics.MalformedDroppedCount);
        Assert.Equal(1, server.Metrics.MalformedAnsweredCount);
    }

    [Fact]
    public async Task GarbageFromTheClientDuringATransferIsIgnored()
    {
        await using var server = LoopbackServer.Start();
        server.AddFile("f", 2000);
        using var client = new TestTftpClient(server.EndPoint);
        client.SendToServer(TestTftpClient.Request("f"));
        var first = await client.ReceiveAsync(Wait);
        Assert.Equal(3, first![1]);

        client.SendToPeer([]);
        client.SendToPeer([0]);
        client.SendToPeer([0, 4, 0]);
        client.SendToPeer([0, 3, 0, 1, 1, 2, 3]);
        client.SendToPeer([0, 4, 0x80, 0]);
        client.SendToPeer(TestTftpClient.Ack(1));
        var second = await client.ReceiveAsync(Wait);

        Assert.Equal(2, second![3]);
        Assert.True(server.Metrics.MalformedDroppedCount >= 4);
    }
}
