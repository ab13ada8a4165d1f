using System.Globalization;
using BladeProvisioner.Tftp.Tests.Support;

namespace BladeProvisioner.Tftp.Tests.RealClients;

/// <summary>curl, tftp-hpa and atftp run inside a network namespace and fetch over a veth pair; what arrives must be byte-identical.</summary>
public sealed class RealClientTests(RealClientFixture fixture) : IClassFixture<RealClientFixture>
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromMinutes(5);

    private string Output(string tag) => Path.Combine(fixture.OutputDirectory, $"{tag}-{Guid.NewGuid():N}");

    private async Task AssertArrivedIdenticalAsync(string file, string output, Platform.Processes.ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, $"client exited {result.ExitCode}: {result.StandardError}{result.StandardOutput}");
        Assert.True(File.Exists(output), $"client wrote nothing: {result.StandardError}");
        var arrived = await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken);
        var expected = fixture.Expected(file);
        Assert.Equal(expected.Length, arrived.Length);
        Assert.True(expected.AsSpan().SequenceEqual(arrived), $"{file}: content differs (sha256 {RealClientFixture.Sha256(arrived)} != {RealClientFixture.Sha256(expected)})");
        File.Delete(output);
    }

    private Task<Platform.Processes.ProcessResult> CurlAsync(string file, string output, int? blockSize) =>
        fixture.Network.ExecAsync(
            ClientTimeout,
            Prerequisites.RequireTool("curl", "curl"),
            [
                "--silent", "--show-error", "--max-time", "300", "--output", output,
                .. blockSize is { } b ? new[] { "--tftp-blksize", b.ToString(CultureInfo.InvariantCulture) } : [],
                fixture.Url(file),
            ]);

    private Task<Platform.Processes.ProcessResult> TftpHpaAsync(string file, string output, string mode = "octet") =>
        fixture.Network.ExecAsync(
            ClientTimeout,
            Prerequisites.RequireTool("tftp", "tftp-hpa"),
            "-m", mode, fixture.Network.HostAddress.ToString(), $"{fixture.Server.EndPoint.Port}", "-c", "get", file, output);

    private Task<Platform.Processes.ProcessResult> AtftpAsync(string file, string output, params string[] options) =>
        fixture.Network.ExecAsync(
            ClientTimeout,
            Prerequisites.RequireTool("atftp", "atftp"),
            [
                .. options.SelectMany(o => new[] { "--option", o }),
                "-g", "-r", file, "-l", output,
                fixture.Network.HostAddress.ToString(), $"{fixture.Server.EndPoint.Port}",
            ]);

    [Theory]
    [InlineData("ipxe.efi", null)]
    [InlineData("ipxe.efi", 1468)]
    [InlineData("snponly.efi", 1468)]
    [InlineData("undionly.kpxe", null)]
    [InlineData("undionly.kpxe", 8)]
    public async Task CurlFetchesByteIdentical(string file, int? blockSize)
    {
        fixture.Require();
        var output = Output("curl");

        await AssertArrivedIdenticalAsync(file, output, await CurlAsync(file, output, blockSize));
    }

    [Theory]
    [InlineData("ipxe.efi")]
    [InlineData("undionly.kpxe")]
    public async Task TftpHpaFetchesByteIdentical(string file)
    {
        fixture.Require();
        var output = Output("tftp");

        await AssertArrivedIdenticalAsync(file, output, await TftpHpaAsync(file, output));
    }

    [Fact]
    public async Task TftpHpaInNetasciiModeGetsTheOriginalTextBack()
    {
        fixture.Require();
        var output = Output("tftp-ascii");

        await AssertArrivedIdenticalAsync(RealClientFixture.TextFile, output, await TftpHpaAsync(RealClientFixture.TextFile, output, "netascii"));
    }

    [Theory]
    [InlineData("ipxe.efi")]
    [InlineData("ipxe.efi", "blksize 1468")]
    [InlineData("snponly.efi", "blksize 1468", "tsize enable")]
    [InlineData("ipxe.efi", "blksize 1468", "windowsize 16")]
    public async Task AtftpFetchesByteIdentical(string file, params string[] options)
    {
        fixture.Require();
        var output = Output("atftp");

        await AssertArrivedIdenticalAsync(file, output, await AtftpAsync(file, output, options));
    }

    /// <summary>131,076 blocks of 512 bytes: block numbers pass 65535 and roll over, for every client.</summary>
    [Theory]
    [InlineData("curl")]
    [InlineData("tftp-hpa")]
    [InlineData("atftp")]
    public async Task A64MiBFileCrossesTheBlockNumberRolloverAt512(string client)
    {
        fixture.Require();
        var output = Output(client);
        var file = RealClientFixture.BigFile;

        var result = client switch
        {
            "curl" => await CurlAsync(file, output, 512),
            "tftp-hpa" => await TftpHpaAsync(file, output),
            _ => await AtftpAsync(file, output, "blksize 512"),
        };

        await AssertArrivedIdenticalAsync(file, output, result);
    }

    [Fact]
    public async Task TransfersToTheBladeLandOnItsTimeline()
    {
        fixture.Require();
        var output = Output("atftp-timeline");
        await AtftpAsync("snponly.efi", output, "blksize 1468", "windowsize 8");

        var record = await fixture.Server.Timeline.WaitForAsync(
            r => r.Kind == "tftp.transfer" && Equals(RecordingTimeline.Detail(r, "windowsize"), 8),
            TimeSpan.FromSeconds(5));

        Assert.Equal(fixture.Network.PeerAddress, record.Address);
        Assert.Equal("snponly.efi", RecordingTimeline.Detail(record, "file"));
        Assert.Equal(1468, RecordingTimeline.Detail(record, "blksize"));
        Assert.Equal("completed", RecordingTimeline.Detail(record, "outcome"));
        File.Delete(output);
    }

    [Fact]
    public async Task ALargeBlksizeRequestIsCappedToFitTheEthernetMtu()
    {
        fixture.Require();
        var output = Output("curl-mtu");

        await AssertArrivedIdenticalAsync("snponly.efi", output, await CurlAsync("snponly.efi", output, 65464));

        var record = await fixture.Server.Timeline.WaitForAsync(
            r => r.Kind == "tftp.transfer" && Equals(RecordingTimeline.Detail(r, "file"), "snponly.efi") && Equals(RecordingTimeline.Detail(r, "blksize"), 1468),
            TimeSpan.FromSeconds(5));
        Assert.Equal("completed", RecordingTimeline.Detail(record, "outcome"));
    }
}
