using System.Net;
using BladeProvisioner.Tftp.Tests.Support;

namespace BladeProvisioner.Tftp.Tests.Server;

public sealed class BlockSizeCapTests
{
    private static async Task<string> GrantedBlockSize(LoopbackServer server)
    {
        server.AddFile("f", 100_000);
        using var client = new TestTftpClient(server.EndPoint);
        var (data, oack) = await client.DownloadAsync("f", "octet", ("blksize", "65464"));
        Assert.Equal(100_000, data.Length);
        return oack["blksize"];
    }

    [Fact]
    public async Task WithoutAnInterfaceTheCapIsTheEthernetSize()
    {
        await using var server = LoopbackServer.Start();

        Assert.Equal("1468", await GrantedBlockSize(server));
    }

    [Fact]
    public async Task UnconfiguredCapFollowsTheInterfaceMtu()
    {
        Prerequisites.RequireRoot("SO_BINDTODEVICE");
        await using var server = LoopbackServer.Start(bind: new IPEndPoint(IPAddress.Loopback, 0), device: "lo");

        // lo has a 65536-byte MTU: the whole RFC 2348 range fits.
        Assert.Equal("65464", await GrantedBlockSize(server));
    }

    [Fact]
    public async Task ConfiguredCapWins()
    {
        await using var server = LoopbackServer.Start(o => o.MaxBlockSize = 1024);

        Assert.Equal("1024", await GrantedBlockSize(server));
    }
}
