namespace BladeProvisioner.Dhcp.Configuration;

/// <summary>A fixed address for one MAC (<c>Dhcp:Scopes:N:Reservations:M</c>).</summary>
public sealed class DhcpReservationOptions
{
    public string Mac { get; set; } = string.Empty;

    public string Address { get; set; } = string.Empty;

    public string? Hostname { get; set; }
}
