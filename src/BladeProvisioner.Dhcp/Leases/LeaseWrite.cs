namespace BladeProvisioner.Dhcp.Leases;

internal enum LeaseWriteKind
{
    /// <summary>
    /// Bind or extend: wins only if the address is free, expired, released, or already this MAC's. A winning bind
    /// releases the MAC's other leases in the scope: one lease per MAC.
    /// </summary>
    Bind,

    /// <summary>RFC 2131 §4.3.3: the holder found the address in use; quarantine it.</summary>
    Decline,

    /// <summary>RFC 2131 §4.3.4: the holder gives the address back; wins only for the holder.</summary>
    Release,
}

/// <summary>One lease change for the store; <see cref="Address"/> is host-order IPv4.</summary>
internal sealed record LeaseWrite(LeaseWriteKind Kind, string Scope, uint Address, string Mac, DateTimeOffset ExpiresAt)
{
    public string? ClientId { get; init; }
    public string? Hostname { get; init; }
    public long? BladeId { get; init; }
}
