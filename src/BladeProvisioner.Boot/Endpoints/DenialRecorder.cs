using System.Collections.Concurrent;
using System.Net;

namespace BladeProvisioner.Boot.Endpoints;

/// <summary>
/// Refusals land on the timeline at most once a minute per caller address (the metric counts every one): a host that
/// sends refused requests in a loop cannot fill the timeline. The map is bounded; when full it is emptied, which at
/// worst lets one more record per address through.
/// </summary>
internal sealed class DenialRecorder(TimeProvider time)
{
    private const int MaxAddresses = 4096;
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<IPAddress, DateTimeOffset> _last = new();

    public bool ShouldRecord(IPAddress? address)
    {
        var key = address ?? IPAddress.None;
        var now = time.GetUtcNow();
        if (_last.TryGetValue(key, out var last) && now - last < Interval)
        {
            return false;
        }

        if (_last.Count >= MaxAddresses)
        {
            _last.Clear();
        }

        _last[key] = now;
        return true;
    }
}
