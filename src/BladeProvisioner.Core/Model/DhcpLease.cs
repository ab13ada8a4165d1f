namespace BladeProvisioner.Core.Model;

/// <summary>
/// One address of one scope. (Scope, Address) is unique: an address has at most one holder at a time,
/// whichever node issued it.
/// </summary>
public sealed class DhcpLease
{
    public long Id { get; set; }
    public required string Scope { get; set; }
    public required System.Net.IPAddress Address { get; set; }

    /// <summary>Hardware address, lower-case colon form.</summary>
    public required string Mac { get; set; }

    /// <summary>DHCP option 61 as hex, when the client sent one.</summary>
    public string? ClientId { get; set; }

    public string? Hostname { get; set; }
    public long? BladeId { get; set; }
    public DhcpLeaseState State { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
