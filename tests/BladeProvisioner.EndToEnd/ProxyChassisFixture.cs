namespace BladeProvisioner.EndToEnd;

/// <summary>Proxy mode: the site server gives addresses only (no boot file); the appliance runs Dhcp:Mode=Proxy.</summary>
public sealed class ProxyChassisFixture : SiteDhcpChassisFixture
{
    public ProxyChassisFixture()
        : base("proxy")
    {
    }

    private protected override IEnumerable<string> SiteOptions => [];
}
