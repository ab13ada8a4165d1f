namespace BladeProvisioner.Dhcp.Leases;

/// <summary>
/// Durable leases. The store, not memory, decides who holds an address: <see cref="CommitAsync"/> returns only
/// after the write is durable, and returns false when another MAC (possibly on another node) holds the address.
/// </summary>
internal interface ILeaseStore
{
    Task<IReadOnlyList<LeaseRecord>> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Durably applies the write if its conditions hold; true if it did.</summary>
    ValueTask<bool> CommitAsync(LeaseWrite write, CancellationToken cancellationToken);

    /// <summary>Marks bound, declined and offered leases past their expiry as Expired; returns them.</summary>
    Task<IReadOnlyList<LeaseRecord>> ReclaimExpiredAsync(CancellationToken cancellationToken);
}
