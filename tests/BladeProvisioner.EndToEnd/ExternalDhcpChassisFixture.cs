namespace BladeProvisioner.EndToEnd;

/// <summary>
/// External DHCP: the site server also hands iPXE (user class <c>iPXE</c>) the appliance's boot URL; the appliance runs no
/// DHCP and admits boots without a DHCP ticket (<c>Boot:RequireDhcpTicket=false</c>).
/// </summary>
public sealed class ExternalDhcpChassisFixture : SiteDhcpChassisFixture
{
    public ExternalDhcpChassisFixture()
        : base("external")
    {
    }

    private protected override IEnumerable<string> SiteOptions =>
        ["--dhcp-userclass=set:ipxe,iPXE", $"--dhcp-boot=tag:ipxe,http://{Lab.Server}:8080/boot/ipxe"];
}
