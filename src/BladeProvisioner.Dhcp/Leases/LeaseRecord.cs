using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Dhcp.Leases;

/// <summary>A lease row as stored; <see cref="Address"/> is host-order IPv4.</summary>
internal sealed record LeaseRecord(string Scope, uint Address, string Mac, DhcpLeaseState State, DateTimeOffset ExpiresAt)
{
    public string? ClientId { get; init; }
    public string? Hostname { get; init; }
    public long? BladeId { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}
