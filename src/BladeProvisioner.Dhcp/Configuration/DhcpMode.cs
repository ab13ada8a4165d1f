namespace BladeProvisioner.Dhcp.Configuration;

/// <summary>How the appliance takes part in DHCP on its provisioning interfaces.</summary>
public enum DhcpMode
{
    /// <summary>A full DHCP server: hands out addresses from the configured scopes and boot information.</summary>
    Server,

    /// <summary>proxyDHCP: another server owns addresses; the appliance answers PXE clients with boot information only.</summary>
    Proxy,
}
