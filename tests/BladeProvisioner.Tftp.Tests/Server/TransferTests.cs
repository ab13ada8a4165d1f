using System.Buffers.Binary;
using System.Text;
using BladeProvisioner.Tftp.Tests.Support;

namespace BladeProvisioner.Tftp.Tests.Server;

public sealed class TransferTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(511)]
    [InlineData(512)]
    [InlineData(513)]
    [InlineData(100_000)]
    public async Task OctetDownloadWithoutOptionsIsByteIdentical(int length)
    {
        await using var server = LoopbackServer.Start();
        var expected = server.AddFile("file.bin", length);
        using var client = new TestTftpClient(server.EndPoint);

        var (data, oack) = await client.DownloadAsync("file.bin");

        Assert.Equal(expected, data);
        Assert.Empty(oack);
    }

    [Fact]
    public async Task WithoutOptionsTheFirstAnswerIsDataBlockOneNotAnOptionAck()
    {
        await using var server = LoopbackServer.Start();
        server.AddFile("f", 10);
        using var client = new TestTftpClient(server.EndPoint);

        client.SendToServer(TestTftpClient.Request("f", "octet", ("unknownopt", "1")));
        var first = await client.ReceiveAsync(Wait);

        Assert.Equal(3, BinaryPrimitives.ReadUInt16BigEndian(first));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(first.AsSpan(2)));
        Assert.NotEqual(server.EndPoint.Port, client.Peer!.Port);
    }

    [Fact]
    public async Task OptionAckCarriesExactlyTheRequestedOptionsWithGrantedValues()
    {
        await using var server = LoopbackServer.Start();
        var expected = server.AddFile("ipxe.efi", 70_000);
        using var client = new TestTftpClient(server.EndPoint);

        var (data, oack) = await client.DownloadAsync("ipxe.efi", "octet", ("tsize", "0"), ("blksize", "65464"), ("timeout", "2"));

        Assert.Equal(expected, data);
        Assert.Equal(new Dictionary<string, string> { ["tsize"] = "70000", ["blksize"] = "1468", ["timeout"] = "2" }, oack);
    }

    [Theory]
    [InlineData(1468, 16, 3_000_000)]
    [InlineData(512, 4, 10_000)]
    [InlineData(8, 64, 8 * 64 * 3)]
    public async Task WindowedDownloadIsByteIdentical(int blockSize, int windowSize, int length)
    {
        await using var server = LoopbackServer.Start();
        var expected = server.AddFile("big.bin", length);
        using var client = new TestTftpClient(server.EndPoint);

        var (data, oack) = await client.DownloadAsync("big.bin", "octet", ("blksize", $"{blockSize}"), ("windowsize", $"{windowSize}"));

        Assert.Equal(expected, data);
        Assert.Equal($"{windowSize}", oack["windowsize"]);
        Assert.Equal(0, server.Metrics.Retransmits);
    }

    [Fact]
    public async Task AWindowIsSentBackToBackBeforeAnyAck()
    {
        await using var server = LoopbackServer.Start();
        server.AddFile("w.bin", 512 * 20);
        using var client = new TestTftpClient(server.EndPoint);
        client.SendToServer(TestTftpClient.Request("w.bin", "octet", ("windowsize", "8")));
        await client.ReceiveAsync(Wait);
        client.SendToPeer(TestTftpClient.Ack(0));

        var blocks = new List<int>();
        for (var i = 0; i < 8; i++)
        {
            var packet = await client.ReceiveAsync(Wait);
            blocks.Add(BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(2)));
        }

        Assert.Equal(Enumerable.Range(1, 8), blocks);
    }

    [Fact]
    public async Task BlockNumbersRollOverPast65535()
    {
        await using var server = LoopbackServer.Start();
        var expected = server.AddFile("roll.bin", (8 * 70_000) + 3);
        using var client = new TestTftpClient(server.EndPoint);

        var (data, _) = await client.DownloadAsync("roll.bin", "octet", ("blksize", "8"), ("windowsize", "32"));

        Assert.Equal(expected, data);
    }

    [Fact]
    public async Task NetasciiSendsCrLfAndTsizeIsTheConvertedLength()
    {
        await using var server = LoopbackServer.Start();
        server.AddFile("menu.txt", Encoding.ASCII.GetBytes("a\nb\rc\r\n"));
        using var client = new TestTftpClient(server.EndPoint);

        var (data, oack) = await client.DownloadAsync("menu.txt", "netascii", ("tsize", "0"));

        Assert.Equal("a\r\nb\r\0c\r\0\r\n", Encoding.ASCII.GetString(data));
        Assert.Equal($"{data.Length}", oack["tsize"]);
    }

    [Fact]
    public async Task LongNetasciiFileSurvivesWindowsAndPartialAcks()
    {
        await using var server = LoopbackServer.Start();
        var text = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"line {i}\n"));
        server.AddFile("long.txt", Encoding.ASCII.GetBytes(text));
        using var client = new TestTftpClient(server.EndPoint);

        var (data, _) = await client.DownloadAsync("long.txt", "netascii", ("windowsize", "16"), ("blksize", "100"));

        Assert.Equal(text.Replace("\n", "\r\n", StringComparison.Ordinal), Encoding.ASCII.GetString(data));
    }

    [Fact]
    public async Task PerClientProviderIsAskedBeforeTheRootDirectory()
    {
        var provider = new FakeProvider("boot.cfg", "generated for {0}");
        await using var server = LoopbackServer.Start(providers: [provider]);
        server.AddFile("boot.cfg", Encoding.ASCII.GetBytes("from root"));
        server.AddFile("other.cfg", Encoding.ASCII.GetBytes("from root"));
        using var client = new TestTftpClient(server.EndPoint);

        var (generated, _) = await client.DownloadAsync("boot.cfg");
        using var second = new TestTftpClient(server.EndPoint);
        var (fromRoot, _) = await second.DownloadAsync("other.cfg");

        Assert.Equal($"generated for {client.LocalEndPoint.Address}", Encoding.ASCII.GetString(generated));
        Assert.Equal("from root", Encoding.ASCII.GetString(fromRoot));
    }

    [Fact]
    public async Task EveryTransferLandsOnTheTimelineWithItsFigures()
    {
        await using var server = LoopbackServer.Start();
        server.AddFile("ipxe.efi", 5000);
        using var client = new TestTftpClient(server.EndPoint);

        await client.DownloadAsync("ipxe.efi", "octet", ("blksize", "1024"), ("windowsize", "4"));
        var record = await server.Timeline.WaitForAsync(r => r.Kind == "tftp.transfer", Wait);

        Assert.Equal("tftp", record.Actor);
        Assert.Equal(client.LocalEndPoint.Address, record.Address);
        Assert.Equal("ipxe.efi", RecordingTimeline.Detail(record, "file"));
        Assert.Equal(5000L, RecordingTimeline.Detail(record, "size"));
        Assert.Equal(1024, RecordingTimeline.Detail(record, "blksize"));
        Assert.Equal(4, RecordingTimeline.Detail(record, "windowsize"));
        Assert.Equal(0L, RecordingTimeline.Detail(record, "retransmits"));
        Assert.Equal("completed", RecordingTimeline.Detail(record, "outcome"));
        Assert.IsType<double>(RecordingTimeline.Detail(record, "durationMs"));
        Assert.Equal(1, server.Metrics.Completed);
    }

    private sealed class FakeProvider(string name, string format) : ITftpFileProvider
    {
        public ValueTask<TftpFile?> OpenAsync(TftpFileRequest request, CancellationToken cancellationToken) =>
            ValueTask.FromResult(request.Path == name
                ? TftpFile.FromBytes(Encoding.ASCII.GetBytes(string.Format(System.Globalization.CultureInfo.InvariantCulture, format, request.Client.Address)))
                : null);
    }
}
