using System.Buffers.Binary;
using System.Diagnostics;
using BladeProvisioner.Tftp.Tests.Support;

namespace BladeProvisioner.Tftp.Tests.Server;

public sealed class ReliabilityTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private static ushort Block(byte[]? packet)
    {
        Assert.NotNull(packet);
        Assert.Equal(3, BinaryPrimitives.ReadUInt16BigEndian(packet));
        return BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(2));
    }

    [Fact]
    public async Task DuplicateAcksDoNotCauseDuplicateSends()
    {
        await using var server = LoopbackServer.Start(o => o.Timeout = TimeSpan.FromSeconds(3));
        server.AddFile("f", 512 * 3);
        using var client = new TestTftpClient(server.EndPoint);
        client.SendToServer(TestTftpClient.Request("f"));
        Assert.Equal(1, Block(await client.ReceiveAsync(Wait)));

        client.SendToPeer(TestTftpClient.Ack(1));
        client.SendToPeer(TestTftpClient.Ack(1));
        client.SendToPeer(TestTftpClient.Ack(1));
        Assert.Equal(2, Block(await client.ReceiveAsync(Wait)));

        // Nothing else may come before the retransmission timeout: the duplicates were ignored.
        Assert.Null(await client.ReceiveAsync(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(0, server.Metrics.Retransmits);
    }

    [Fact]
    public async Task UnacknowledgedDataIsRetransmittedWithGrowingIntervals()
    {
        await using var server = LoopbackServer.Start(o => o.Timeout = TimeSpan.FromMilliseconds(100));
        server.AddFile("f", 100);
        using var client = new TestTftpClient(server.EndPoint);
        var clock = Stopwatch.StartNew();
        client.SendToServer(TestTftpClient.Request("f"));

        var arrivals = new List<double>();
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(1, Block(await client.ReceiveAsync(Wait)));
            arrivals.Add(clock.Elapsed.TotalMilliseconds);
        }

        // Sends at 0, 100, 300, 700 ms after the request with backoff (0, 100, 200, 300 without). No send can come
        // before the request, and a busy machine only delays arrivals, so lower bounds measured from the request hold.
        Assert.True(arrivals[3] >= 680, $"arrivals at {string.Join(", ", arrivals)} ms do not back off");
        Assert.True(arrivals[2] >= 280, $"arrivals at {string.Join(", ", arrivals)} ms do not back off");
        client.SendToPeer(TestTftpClient.Ack(1));
        var record = await server.Timeline.WaitForAsync(r => r.Kind == "tftp.transfer", Wait);
        Assert.Equal("completed", RecordingTimeline.Detail(record, "outcome"));

        // A slow test machine may have let a fifth copy go out before the ACK: the count matches what arrived.
        var copies = 4;
        while (await client.ReceiveAsync(TimeSpan.FromMilliseconds(200)) is { } extra)
        {
            Assert.Equal(1, Block(extra));
            copies++;
        }

        Assert.Equal((long)(copies - 1), RecordingTimeline.Detail(record, "retransmits"));
    }

    [Fact]
    public async Task AnAbandonedTransferTimesOutAndFreesItsSession()
    {
        await using var server = LoopbackServer.Start(o =>
        {
            o.Timeout = TimeSpan.FromMilliseconds(20);
            o.MaxRetries = 2;
            o.MaxConcurrentTransfers = 1;
        });
        server.AddFile("f", 5000);
        using var silent = new TestTftpClient(server.EndPoint);
        silent.SendToServer(TestTftpClient.Request("f"));
        await silent.ReceiveAsync(Wait);

        var record = await server.Timeline.WaitForAsync(r => r.Kind == "tftp.transfer", Wait);
        Assert.Equal("timed-out", RecordingTimeline.Detail(record, "outcome"));
        Assert.Equal(0, server.Context.ActiveTransfers);

        // The only transfer slot is free again (or the server would answer "busy"). This client asks for a 10 s timer
        // (RFC 2349) so a stall of the test machine cannot make the 20 ms server abandon it too.
        using var next = new TestTftpClient(server.EndPoint);
        var (data, _) = await next.DownloadAsync("f", "octet", ("timeout", "10"));
        Assert.Equal(5000, data.Length);
    }

    [Fact]
    public async Task TransfersBeyondTheCapAreRefusedWithAClearError()
    {
        await using var server = LoopbackServer.Start(o => o.MaxConcurrentTransfers = 2);
        server.AddFile("f", 5000);
        using var first = new TestTftpClient(server.EndPoint);
        using var second = new TestTftpClient(server.EndPoint);
        using var third = new TestTftpClient(server.EndPoint);
        first.SendToServer(TestTftpClient.Request("f"));
        second.SendToServer(TestTftpClient.Request("f"));
        Block(await first.ReceiveAsync(Wait));
        Block(await second.ReceiveAsync(Wait));

        var error = await Assert.ThrowsAsync<TftpErrorException>(() => third.DownloadAsync("f"));

        Assert.Equal(0, error.Code);
        Assert.Contains("busy", error.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("2 transfers", error.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARetransmittedRequestDoesNotStartASecondTransfer()
    {
        await using var server = LoopbackServer.Start(o => o.Timeout = TimeSpan.FromSeconds(3));
        server.AddFile("f", 100);
        using var client = new TestTftpClient(server.EndPoint);
        client.SendToServer(TestTftpClient.Request("f"));
        client.SendToServer(TestTftpClient.Request("f"));

        Assert.Equal(1, Block(await client.ReceiveAsync(Wait)));
        Assert.Null(await client.ReceiveAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(1, server.Metrics.Started);
    }

    [Fact]
    public async Task AClientErrorEndsTheTransfer()
    {
        await using var server = LoopbackServer.Start();
        server.AddFile("f", 5000);
        using var client = new TestTftpClient(server.EndPoint);
        client.SendToServer(TestTftpClient.Request("f"));
        Block(await client.ReceiveAsync(Wait));

        client.SendToPeer(TestTftpClient.Error(0, "user cancelled"));

        var record = await server.Timeline.WaitForAsync(r => r.Kind == "tftp.transfer", Wait);
        Assert.Equal("aborted-by-client", RecordingTimeline.Detail(record, "outcome"));
        Assert.Equal(0, server.Metrics.Active);
    }

    [Fact]
    public async Task AClientRefusingTheOptionAckEndsTheTransferQuietly()
    {
        await using var server = LoopbackServer.Start();
        server.AddFile("f", 5000);
        using var client = new TestTftpClient(server.EndPoint);
        client.SendToServer(TestTftpClient.Request("f", "octet", ("blksize", "1024")));
        var oack = await client.ReceiveAsync(Wait);
        Assert.Equal(6, BinaryPrimitives.ReadUInt16BigEndian(oack));

        client.SendToPeer(TestTftpClient.Error(8, "blksize not acceptable"));

        var record = await server.Timeline.WaitForAsync(r => r.Kind == "tftp.transfer", Wait);
        Assert.Equal("options-refused-by-client", RecordingTimeline.Detail(record, "outcome"));
        Assert.Null(await client.ReceiveAsync(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task AnIgnoredOptionAckIsRetransmittedThenTheTransferIsAbandoned()
    {
        await using var server = LoopbackServer.Start(o =>
        {
            o.Timeout = TimeSpan.FromMilliseconds(30);
            o.MaxRetries = 2;
        });
        server.AddFile("f", 5000);
        using var client = new TestTftpClient(server.EndPoint);
        client.SendToServer(TestTftpClient.Request("f", "octet", ("tsize", "0")));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(6, BinaryPrimitives.ReadUInt16BigEndian(await client.ReceiveAsync(Wait)));
        }

        var record = await server.Timeline.WaitForAsync(r => r.Kind == "tftp.transfer", Wait);
        Assert.Equal("timed-out", RecordingTimeline.Detail(record, "outcome"));
    }
}
