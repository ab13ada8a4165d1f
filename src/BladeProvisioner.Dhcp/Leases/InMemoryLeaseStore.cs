using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Dhcp.Leases;

/// <summary>The store's rules without a database, for unit tests of the server's logic.</summary>
internal sealed class InMemoryLeaseStore(TimeProvider time) : ILeaseStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string, uint), LeaseRecord> _rows = [];

    public int Commits { get; private set; }

    public IReadOnlyList<LeaseRecord> Snapshot()
    {
        lock (_lock)
        {
            return [.. _rows.Values];
        }
    }

    public Task<IReadOnlyList<LeaseRecord>> LoadAsync(CancellationToken cancellationToken) => Task.FromResult(Snapshot());

    public ValueTask<bool> CommitAsync(LeaseWrite write, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            Commits++;
            var key = (write.Scope, write.Address);
            _rows.TryGetValue(key, out var d);
            bool free = d is null || d.State is DhcpLeaseState.Released or DhcpLeaseState.Expired || d.ExpiresAt < now;
            bool wins = write.Kind switch
            {
                LeaseWriteKind.Bind => free || (d!.Mac == write.Mac && d.State != DhcpLeaseState.Declined),
                LeaseWriteKind.Decline => free || d!.Mac == write.Mac,
                _ => d is null || (d.Mac == write.Mac && d.State == DhcpLeaseState.Bound),
            };
            if (wins)
            {
                var state = write.Kind switch
                {
                    LeaseWriteKind.Bind => DhcpLeaseState.Bound,
                    LeaseWriteKind.Decline => DhcpLeaseState.Declined,
                    _ => DhcpLeaseState.Released,
                };
                _rows[key] = new LeaseRecord(write.Scope, write.Address, write.Mac, state, write.ExpiresAt)
                {
                    ClientId = write.ClientId,
                    Hostname = write.Hostname,
                    BladeId = write.BladeId,
                    UpdatedAt = now,
                };
                if (write.Kind == LeaseWriteKind.Bind)
                {
                    // One lease per MAC and scope, as LeaseSql.ReleaseOthers.
                    foreach (var (otherKey, other) in _rows.ToList())
                    {
                        if (otherKey.Item1 == write.Scope && otherKey.Item2 != write.Address && other.Mac == write.Mac && other.State is DhcpLeaseState.Bound or DhcpLeaseState.Offered)
                        {
                            _rows[otherKey] = other with { State = DhcpLeaseState.Released, ExpiresAt = now, UpdatedAt = now };
                        }
                    }
                }
            }

            return ValueTask.FromResult(wins);
        }
    }

    public Task<IReadOnlyList<LeaseRecord>> ReclaimExpiredAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var reclaimed = new List<LeaseRecord>();
        lock (_lock)
        {
            foreach (var (key, row) in _rows.ToList())
            {
                if (row.State is DhcpLeaseState.Bound or DhcpLeaseState.Declined or DhcpLeaseState.Offered && row.ExpiresAt < now)
                {
                    var expired = row with { State = DhcpLeaseState.Expired, UpdatedAt = now };
                    _rows[key] = expired;
                    reclaimed.Add(expired);
                }
            }
        }

        return Task.FromResult<IReadOnlyList<LeaseRecord>>(reclaimed);
    }
}
