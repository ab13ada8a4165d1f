using BladeProvisioner.Dhcp.Scopes;

namespace BladeProvisioner.Dhcp.Leases;

/// <summary>The pools of all scopes, rebuilt from the store at start and kept current by the server.</summary>
internal sealed class LeaseBook
{
    private readonly Dictionary<string, LeasePool> _pools;

    public LeaseBook(ScopeTable scopes, ILeaseStore store)
    {
        Store = store;
        _pools = scopes.Scopes.ToDictionary(s => s.Name, s => new LeasePool(s), StringComparer.Ordinal);
    }

    public ILeaseStore Store { get; }

    public LeasePool Pool(DhcpScope scope) => _pools[scope.Name];

    /// <summary>Reclaims expired rows, then loads the rest. Leases of scopes no longer configured are left alone.</summary>
    public async Task<(int Loaded, int Reclaimed)> LoadAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reclaimed = await Store.ReclaimExpiredAsync(cancellationToken);
        var rows = await Store.LoadAsync(cancellationToken);
        foreach (var row in rows)
        {
            if (_pools.TryGetValue(row.Scope, out var pool) && pool.Scope.Contains(row.Address))
            {
                pool.Load(row, now);
            }
        }

        return (rows.Count, reclaimed.Count);
    }

    public async Task<int> ReclaimAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reclaimed = await Store.ReclaimExpiredAsync(cancellationToken);
        foreach (var row in reclaimed)
        {
            if (_pools.TryGetValue(row.Scope, out var pool))
            {
                pool.MarkFreeIfExpired(row.Address, now);
            }
        }

        return reclaimed.Count;
    }
}
