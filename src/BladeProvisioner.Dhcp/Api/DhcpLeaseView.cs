namespace BladeProvisioner.Dhcp.Api;

/// <summary>A lease as the API shows it.</summary>
internal sealed record DhcpLeaseView(
    string Scope,
    string Address,
    string Mac,
    string State,
    DateTimeOffset ExpiresAt,
    string? ClientId,
    string? Hostname,
    long? BladeId,
    DateTimeOffset UpdatedAt);
