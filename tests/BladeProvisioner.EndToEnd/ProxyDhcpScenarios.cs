namespace BladeProvisioner.EndToEnd;

/// <summary>
/// proxyDHCP beside a site DHCP server (see <see cref="ProxyChassisFixture"/>): the blade takes its address from the site
/// server and its boot information (and boot ticket) from the appliance, reaches the menu, is provisioned, reboots and
/// boots its OS from its own LUN, with a fresh proxy answer after the reboot.
/// </summary>
public sealed class ProxyDhcpScenarios(ProxyChassisFixture chassis) : IClassFixture<ProxyChassisFixture>
{
    [Fact]
    public Task Proxy1_BiosBlade_AddressFromSiteDhcp_BootInfoFromApplianceProxy_MenuCloneRebootAndOsFromLun() =>
        ProvisionBesideSiteDhcpAsync("proxy-bios", "bios");

    [Fact]
    public Task Proxy2_UefiBlade_FirmwareTakesIpxeEfiFromTheProxy_MenuCloneRebootAndOsFromLun() =>
        ProvisionBesideSiteDhcpAsync("proxy-uefi", "uefi");

    private async Task ProvisionBesideSiteDhcpAsync(string name, string firmware)
    {
        chassis.RequireUp();
        var ct = TestContext.Current.CancellationToken;
        var provisioned = await MenuFlow.NewBladeAsync(chassis, name, firmware, "test-donor-v2", ct);
        var events = await chassis.Api.TimelineAsync(provisioned.Id, ct);

        // The address came from the site server: its lease file names the blade, inside the site range.
        var lease = chassis.SiteLeaseOf(provisioned.Blade.Mac);
        Assert.True(lease is not null, $"the site DHCP server leased nothing to {provisioned.Blade.Mac}:\n{File.ReadAllText(chassis.LeaseFile)}");
        Assert.StartsWith(chassis.Lab.Net + ".1", lease, StringComparison.Ordinal);

        // The boot information came from the appliance as proxy answers only: it offered and acknowledged no address.
        Assert.DoesNotContain(events, e => e.Kind is "dhcp.offer" or "dhcp.ack");
        var chosen = events.First(e => e.Kind == "boot.chosen");
        Assert.Contains(events, e => e.Id < chosen.Id && e.Kind == "dhcp.proxy-offer");
        var sanboot = events.Last(e => e.Kind == "boot.sanboot");
        Assert.Contains(events, e => e.Id > chosen.Id && e.Id < sanboot.Id && e.Kind is "dhcp.proxy-offer" or "dhcp.proxy-ack");
        if (firmware == "uefi")
        {
            // OVMF's PXE client took the proxy's offer of ipxe.efi (TFTP from the appliance), and that iPXE came back for
            // the boot URL. (The TFTP transfer itself is not on the blade's timeline in proxy mode: records are tied to a
            // blade by the appliance's own leases, and here there are none.)
            var loader = events.First(e => e.Kind == "dhcp.proxy-offer" && e.Summary.EndsWith("ipxe.efi", StringComparison.Ordinal));
            Assert.Contains(events, e => e.Id > loader.Id && e.Kind == "dhcp.proxy-offer" && e.Summary.Contains("/boot/ipxe", StringComparison.Ordinal));
        }

        // The site server sent addresses only: no boot file, TFTP server, vendor class or PXE options.
        var siteLog = await File.ReadAllTextAsync(chassis.SiteLog, ct);
        foreach (var option in new[] { "option: 43 ", "option: 60 ", "option: 66 ", "option: 67 " })
        {
            Assert.DoesNotContain(option, siteLog, StringComparison.Ordinal);
        }

        Assert.Equal("test-donor-v2", provisioned.Marker.Image);
    }
}
