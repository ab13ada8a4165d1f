using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Dhcp.Configuration;

/// <summary>One subnet served (<c>Dhcp:Scopes:N</c>).</summary>
public sealed class DhcpScopeOptions
{
    [Required]
    public string Name { get; set; } = string.Empty;

    /// <summary>CIDR, e.g. <c>10.99.20.0/24</c>.</summary>
    [Required]
    public string Subnet { get; set; } = string.Empty;

    /// <summary>Dynamic pools as <c>first-last</c>, e.g. <c>10.99.20.100-10.99.20.199</c>.</summary>
    public IList<string> Ranges { get; } = [];

    public string? Router { get; set; }

    public IList<string> DnsServers { get; } = [];

    public string? Domain { get; set; }

    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan LeaseTime { get; set; } = TimeSpan.FromHours(12);

    public IList<DhcpReservationOptions> Reservations { get; } = [];
}
