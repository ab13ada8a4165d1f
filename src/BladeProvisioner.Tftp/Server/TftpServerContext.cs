using System.Net;
using BladeProvisioner.Core.Readiness;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Tftp.Files;
using Microsoft.Extensions.Logging;

namespace BladeProvisioner.Tftp.Server;

/// <summary>What every listener and transfer of one server shares: settings, files, counters, the timeline, the transfer cap.</summary>
internal sealed class TftpServerContext(TftpOptions options, TftpFileProviderChain files, TftpMetrics metrics, ITimeline timeline, ILogger logger)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, int> _perClient = [];
    private int _active;

    public TftpOptions Options { get; } = options;
    public TftpFileProviderChain Files { get; } = files;
    public TftpMetrics Metrics { get; } = metrics;
    public ITimeline Timeline { get; } = timeline;
    public ILogger Logger { get; } = logger;

    /// <summary>When set, new transfers start only while the appliance is ready (see <see cref="TftpListener"/>).</summary>
    public ApplianceReadiness? Readiness { get; init; }

    public int ActiveTransfers => Volatile.Read(ref _active);

    /// <summary>
    /// Takes one of the <see cref="TftpOptions.MaxConcurrentTransfers"/> slots, unless all are taken or
    /// <paramref name="client"/> already holds <see cref="TftpOptions.MaxTransfersPerClient"/> of them
    /// (<paramref name="clientLimit"/> says which).
    /// </summary>
    public bool TryAcquireTransfer(IPAddress client, out bool clientLimit)
    {
        client = Normalize(client);
        lock (_lock)
        {
            var held = _perClient.GetValueOrDefault(client);
            clientLimit = held >= Options.MaxTransfersPerClient;
            if (clientLimit || _active >= Options.MaxConcurrentTransfers)
            {
                return false;
            }

            _perClient[client] = held + 1;
            Volatile.Write(ref _active, _active + 1);
            return true;
        }
    }

    public void ReleaseTransfer(IPAddress client)
    {
        client = Normalize(client);
        lock (_lock)
        {
            Volatile.Write(ref _active, _active - 1);
            if (_perClient.TryGetValue(client, out var held) && held > 1)
            {
                _perClient[client] = held - 1;
            }
            else
            {
                _perClient.Remove(client);
            }
        }
    }

    /// <summary>Slots held by one address (tests, diagnostics).</summary>
    public int TransfersFrom(IPAddress client)
    {
        lock (_lock)
        {
            return _perClient.GetValueOrDefault(Normalize(client));
        }
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
