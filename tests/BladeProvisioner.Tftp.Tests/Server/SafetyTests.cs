using System.Diagnostics;
using System.Text;
using BladeProvisioner.Tftp.Tests.Support;

namespace BladeProvisioner.Tftp.Tests.Server;

/// <summary>Every traversal case of the issue, over the wire: each is answered "access violation" (code 2).</summary>
public sealed class SafetyTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private static async Task<(ushort Code, string Message)> ErrorFor(LoopbackServer server, byte[] request)
    {
        using var client = new TestTftpClient(server.EndPoint);
        client.SendToServer(request);
        var packet = await client.ReceiveAsync(Wait);
        Assert.NotNull(packet);
        Assert.Equal(5, packet[1]);
        return ((ushort)((packet[2] << 8) | packet[3]), Encoding.ASCII.GetString(packet, 4, packet.Length - 5));
    }

    private static LoopbackServer ServerWithSecretOutsideRoot(out string secret)
    {
        var server = LoopbackServer.Start();
        secret = Path.Combine(Path.GetDirectoryName(server.Root)!, Path.GetFileName(server.Root) + ".secret");
        File.WriteAllText(secret, "secret");
        server.AddFile("ipxe.efi", 10);
        return server;
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("boot/../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("..\\..\\etc\\passwd")]
    [InlineData("boot\\ipxe.efi")]
    public async Task TraversalNamesAreRefusedWithAccessViolation(string name)
    {
        await using var server = ServerWithSecretOutsideRoot(out var secret);
        try
        {
            var (code, _) = await ErrorFor(server, TestTftpClient.Request(name));
            Assert.Equal(2, code);
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public async Task NameWithANulByteIsRefusedWithAccessViolation()
    {
        await using var server = LoopbackServer.Start();
        server.AddFile("ipxe.efi", 10);

        var (code, message) = await ErrorFor(server, TestTftpClient.Request("ipxe.efi\0../../etc/shadow"));

        Assert.Equal(2, code);
        Assert.Contains("NUL", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NameOverTheLengthLimitIsRefusedWithAccessViolation()
    {
        await using var server = LoopbackServer.Start(o => o.MaxPathLength = 64);

        var (code, message) = await ErrorFor(server, TestTftpClient.Request(new string('a', 65)));

        Assert.Equal(2, code);
        Assert.Contains("too long", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SymlinkLeadingOutOfTheRootIsRefusedWithAccessViolation()
    {
        await using var server = ServerWithSecretOutsideRoot(out var secret);
        try
        {
            File.CreateSymbolicLink(Path.Combine(server.Root, "escape.efi"), secret);

            var (code, _) = await ErrorFor(server, TestTftpClient.Request("escape.efi"));

            Assert.Equal(2, code);
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public async Task DeviceFileIsRefusedWithAccessViolation()
    {
        Prerequisites.RequireRoot("mknod");
        await using var server = LoopbackServer.Start();
        using (var mknod = Process.Start("mknod", [Path.Combine(server.Root, "null.efi"), "c", "1", "3"]))
        {
            await mknod.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Equal(0, mknod.ExitCode);
        }

        var (code, _) = await ErrorFor(server, TestTftpClient.Request("null.efi"));

        Assert.Equal(2, code);
    }

    [Fact]
    public async Task WriteRequestsAreRefusedBecauseTheServerIsReadOnly()
    {
        await using var server = LoopbackServer.Start();

        var (code, message) = await ErrorFor(server, TestTftpClient.RawRequest(2, "upload.bin", "octet"));

        Assert.Equal(2, code);
        Assert.Contains("read-only", message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(server.Root, "upload.bin")));
        var record = await server.Timeline.WaitForAsync(r => r.Kind == "tftp.error", Wait);
        Assert.Equal("upload.bin", RecordingTimeline.Detail(record, "file"));
    }

    [Fact]
    public async Task MissingFileIsFileNotFound()
    {
        await using var server = LoopbackServer.Start();

        var (code, _) = await ErrorFor(server, TestTftpClient.Request("nothing.efi"));

        Assert.Equal(1, code);
    }
}
