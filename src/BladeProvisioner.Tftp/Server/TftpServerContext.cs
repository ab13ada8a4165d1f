using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Tftp.Files;
using Microsoft.Extensions.Logging;

namespace BladeProvisioner.Tftp.Server;

/// <summary>What every listener and transfer of one server shares: settings, files, counters, the timeline, the transfer cap.</summary>
internal sealed class TftpServerContext(TftpOptions options, TftpFileProviderChain files, TftpMetrics metrics, ITimeline timeline, ILogger logger)
{
    private int _active;

    public TftpOptions Options { get; } = options;
    public TftpFileProviderChain Files { get; } = files;
    public TftpMetrics Metrics { get; } = metrics;
    public ITimeline Timeline { get; } = timeline;
    public ILogger Logger { get; } = logger;

    public int ActiveTransfers => Volatile.Read(ref _active);

    /// <summary>Takes one of the <see cref="TftpOptions.MaxConcurrentTransfers"/> slots, or fails when all are taken.</summary>
    public bool TryAcquireTransfer()
    {
        while (true)
        {
            var current = Volatile.Read(ref _active);
            if (current >= Options.MaxConcurrentTransfers)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _active, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    public void ReleaseTransfer() => Interlocked.Decrement(ref _active);
}
