using System.Net;
using BladeProvisioner.Platform.Processes;
using Microsoft.Extensions.Logging.Abstractions;

namespace BladeProvisioner.Tftp.Tests.RealClients;

/// <summary>
/// A network namespace joined to the root namespace by a veth pair: 10.99.4N.1 on this side, 10.99.4N.2 inside.
/// Names use the "bptftp" prefix; anything left over from a crashed run is removed first.
/// </summary>
internal sealed class VethNetwork : IAsyncDisposable
{
    private static readonly ProcessRunner Runner = new(NullLogger<ProcessRunner>.Instance);

    private VethNetwork(int index)
    {
        Namespace = $"bptftp{index}";
        HostInterface = $"bptftp{index}a";
        PeerInterface = $"bptftp{index}b";
        HostAddress = IPAddress.Parse($"10.99.4{index}.1");
        PeerAddress = IPAddress.Parse($"10.99.4{index}.2");
    }

    public string Namespace { get; }
    public string HostInterface { get; }
    public string PeerInterface { get; }
    public IPAddress HostAddress { get; }
    public IPAddress PeerAddress { get; }

    public static async Task<VethNetwork> CreateAsync(int index, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, 9);
        var network = new VethNetwork(index);
        await network.RemoveAsync();
        try
        {
            await Ip(cancellationToken, "netns", "add", network.Namespace);
            await Ip(cancellationToken, "link", "add", network.HostInterface, "type", "veth", "peer", "name", network.PeerInterface);
            await Ip(cancellationToken, "link", "set", network.PeerInterface, "netns", network.Namespace);
            await Ip(cancellationToken, "addr", "add", $"{network.HostAddress}/24", "dev", network.HostInterface);
            await Ip(cancellationToken, "link", "set", network.HostInterface, "up");
            await Ip(cancellationToken, "-n", network.Namespace, "addr", "add", $"{network.PeerAddress}/24", "dev", network.PeerInterface);
            await Ip(cancellationToken, "-n", network.Namespace, "link", "set", network.PeerInterface, "up");
            await Ip(cancellationToken, "-n", network.Namespace, "link", "set", "lo", "up");
            return network;
        }
        catch
        {
            await network.RemoveAsync();
            throw;
        }
    }

    /// <summary>Runs a program inside the namespace; returns its result whatever the exit code.</summary>
    public Task<ProcessResult> ExecAsync(TimeSpan timeout, string program, params string[] arguments) =>
        Runner.TryRunAsync(
            new ProcessSpec("ip", ["netns", "exec", Namespace, program, .. arguments]) { Timeout = timeout },
            TestContext.Current.CancellationToken);

    private static Task<ProcessResult> Ip(CancellationToken cancellationToken, params string[] arguments) =>
        Runner.RunAsync(new ProcessSpec("ip", arguments) { Timeout = TimeSpan.FromSeconds(10) }, cancellationToken);

    private async Task RemoveAsync()
    {
        // Deleting one end of a veth pair deletes both; deleting the namespace removes whatever is left inside.
        await Runner.TryRunAsync(new ProcessSpec("ip", ["link", "del", HostInterface]) { Timeout = TimeSpan.FromSeconds(10) });
        await Runner.TryRunAsync(new ProcessSpec("ip", ["netns", "del", Namespace]) { Timeout = TimeSpan.FromSeconds(10) });
    }

    public async ValueTask DisposeAsync() => await RemoveAsync();
}
