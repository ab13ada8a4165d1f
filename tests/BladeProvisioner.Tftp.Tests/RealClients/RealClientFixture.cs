using System.Net;
using System.Security.Cryptography;
using System.Text;
using BladeProvisioner.Platform.Net;
using BladeProvisioner.Tftp.Tests.Support;

namespace BladeProvisioner.Tftp.Tests.RealClients;

/// <summary>
/// One veth pair and one in-process server (bound to the root-namespace end with SO_BINDTODEVICE) for the
/// real-client tests, over a root holding the Debian iPXE binaries, a 64 MiB file and a text file.
/// </summary>
public sealed class RealClientFixture : IAsyncLifetime
{
    public const int NetworkIndex = 1;
    public const string BigFile = "big64.bin";
    public const string TextFile = "menu.txt";

    private static readonly string[] IpxeBinaries = ["undionly.kpxe", "ipxe.efi", "snponly.efi"];
    private string? _missing;
    private VethNetwork? _network;
    private LoopbackServer? _server;

    internal VethNetwork Network => _network!;
    internal LoopbackServer Server => _server!;
    public string OutputDirectory { get; } = Directory.CreateTempSubdirectory("bptftp-out-").FullName;

    public string Url(string file) => $"tftp://{Network.HostAddress}:{Server.EndPoint.Port}/{file}";

    /// <summary>Fails (CI) or skips (developer machine) the calling test when the lab cannot be built here.</summary>
    public void Require()
    {
        if (_missing is not null)
        {
            Prerequisites.Missing(_missing);
        }
    }

    public async ValueTask InitializeAsync()
    {
        if (!SocketBinding.CanBindToDevice())
        {
            _missing = "needs root (network namespaces, SO_BINDTODEVICE)";
            return;
        }

        var missingBinary = IpxeBinaries.FirstOrDefault(b => !File.Exists(Path.Combine("/usr/lib/ipxe", b)));
        if (missingBinary is not null)
        {
            _missing = $"needs /usr/lib/ipxe/{missingBinary} (apt-get install ipxe)";
            return;
        }

        _network = await VethNetwork.CreateAsync(NetworkIndex, TestContext.Current.CancellationToken);
        _server = LoopbackServer.Start(
            o => o.Timeout = TimeSpan.FromSeconds(1),
            bind: new IPEndPoint(_network.HostAddress, 0),
            device: _network.HostInterface);
        foreach (var binary in IpxeBinaries)
        {
            // Debian ships ipxe.efi as a symlink out of /usr/lib/ipxe: the root holds copies, never links out.
            _server.AddFile(binary, await File.ReadAllBytesAsync(Path.Combine("/usr/lib/ipxe", binary)));
        }

        _server.AddFile(BigFile, (64 * 1024 * 1024) + 1234, seed: 64);
        _server.AddFile(TextFile, Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 500).Select(i => $"item {i}\tboot option\n"))));
    }

    public byte[] Expected(string file) => File.ReadAllBytes(Path.Combine(Server.Root, file));

    public static string Sha256(byte[] data) => Convert.ToHexString(SHA256.HashData(data));

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_network is not null)
        {
            await _network.DisposeAsync();
        }

        Directory.Delete(OutputDirectory, recursive: true);
    }
}
