using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Dhcp.Configuration;

/// <summary>One provisioning interface (<c>Dhcp:Interfaces:N</c>).</summary>
public sealed class DhcpInterfaceOptions
{
    [Required]
    public string Name { get; set; } = string.Empty;

    /// <summary>The server identifier and siaddr on this interface; default: the interface's first IPv4 address.</summary>
    public string? ServerAddress { get; set; }
}
