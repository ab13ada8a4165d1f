namespace BladeProvisioner.EndToEnd;

/// <summary>
/// External DHCP (see <see cref="ExternalDhcpChassisFixture"/>): the site server gives the address and hands iPXE the
/// appliance's boot URL; the appliance runs no DHCP and admits boots without a ticket. The weaker deployment still boots:
/// menu, clone, reboot, OS from the blade's own LUN.
/// </summary>
public sealed class ExternalDhcpScenarios(ExternalDhcpChassisFixture chassis) : IClassFixture<ExternalDhcpChassisFixture>
{
    [Fact]
    public async Task External1_BiosBlade_SiteDhcpHandsIpxeTheBootUrl_NoApplianceDhcp_MenuCloneRebootAndOsFromLun()
    {
        chassis.RequireUp();
        var ct = TestContext.Current.CancellationToken;
        var provisioned = await MenuFlow.NewBladeAsync(chassis, "external-bios", "bios", "test-donor-v2", ct, hostnameFromAppliance: false);
        var events = await chassis.Api.TimelineAsync(provisioned.Id, ct);

        var lease = chassis.SiteLeaseOf(provisioned.Blade.Mac);
        Assert.True(lease is not null, $"the site DHCP server leased nothing to {provisioned.Blade.Mac}:\n{File.ReadAllText(chassis.LeaseFile)}");
        Assert.StartsWith(chassis.Lab.Net + ".1", lease, StringComparison.Ordinal);

        // The appliance answered no DHCP at all; the boot conversation ran from the site server's boot URL, before and
        // after the reboot.
        Assert.DoesNotContain(events, e => e.Kind.StartsWith("dhcp.", StringComparison.Ordinal));
        var chosen = events.First(e => e.Kind == "boot.chosen");
        Assert.Contains(events, e => e.Id > chosen.Id && e.Kind == "boot.sanboot");
        Assert.Equal("test-donor-v2", provisioned.Marker.Image);
    }
}
