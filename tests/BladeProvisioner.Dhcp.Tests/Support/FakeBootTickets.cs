using System.Collections.Concurrent;
using BladeProvisioner.Core.Boot;

namespace BladeProvisioner.Dhcp.Tests.Support;

/// <summary>Counts the tickets asked for; <see cref="Fail"/> makes the store unavailable.</summary>
internal sealed class FakeBootTickets : IBootTickets
{
    private int _next;

    public ConcurrentQueue<BootTicketGrant> Grants { get; } = new();

    public bool Fail { get; set; }

    public Task<string> IssueAsync(BootTicketGrant grant, CancellationToken ct)
    {
        if (Fail)
        {
            throw new InvalidOperationException("ticket store down");
        }

        Grants.Enqueue(grant);
        return Task.FromResult("T" + Interlocked.Increment(ref _next).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
