namespace BladeProvisioner.Dhcp.Scopes;

internal sealed record DhcpReservation(string Mac, uint Address, string? Hostname);
