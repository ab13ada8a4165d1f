using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests.DataPlane;

/// <summary>A blade that runs from its LUN: provisioned through the API, its initiator logged in as the OS's takes over from the iBFT.</summary>
internal static class RunningBlade
{
    /// <summary>
    /// Provisions a new blade <paramref name="mac"/> from <paramref name="imageId"/> and logs its initiator in with what
    /// its sanboot script says (no DHCP ticket needed: the appliance runs with <c>Boot:RequireDhcpTicket=false</c>),
    /// writing every 200 ms.
    /// </summary>
    public static async Task<(VolumeDto Volume, BladeWriter Writer)> ProvisionAndWriteAsync(ApplianceProcess appliance, long imageId, string mac, bool reconnect)
    {
        var ct = TestContext.Current.CancellationToken;
        using var created = await appliance.Http.PostAsJsonAsync("api/blades", new { bootMac = mac }, JsonDefaults.Options, ct);
        var blade = (await created.Content.ReadFromJsonAsync<BladeDto>(JsonDefaults.Options, ct))!;
        using var provision = await appliance.Http.PostAsJsonAsync($"api/blades/{blade.Id}/provision", new { imageId }, JsonDefaults.Options, ct);
        Assert.True(provision.StatusCode == HttpStatusCode.Accepted, await provision.Content.ReadAsStringAsync(ct));
        await Eventually.UntilAsync(async () => (await appliance.GetAsync<BladeDto>($"api/blades/{blade.Id}")).State, s => s is "Provisioned" or "Failed", TimeSpan.FromSeconds(180));
        var volume = (await appliance.GetAsync<List<VolumeDto>>($"api/volumes?bladeId={blade.Id}")).Single();
        Assert.Equal("Exported", volume.State);

        using var boot = new HttpClient { BaseAddress = appliance.ProvisioningAddress };
        var sanboot = await boot.GetStringAsync($"boot/blade?mac={mac.Replace(':', '-')}&platform=pcbios&buildarch=i386", ct);
        var writer = BladeWriter.Start(
            $"127.0.0.1:{appliance.Tgt.PortalPort}", volume.TargetIqn, Setting(sanboot, "initiator-iqn"), Setting(sanboot, "username"), Setting(sanboot, "password"),
            Setting(sanboot, "reverse-username"), Setting(sanboot, "reverse-password"), TimeSpan.FromMilliseconds(200), reconnect);
        await writer.WaitForMoreWritesAsync(5, TimeSpan.FromSeconds(10));
        return (volume, writer);
    }

    private static string Setting(string script, string name) =>
        Regex.Match(script, $"^set {Regex.Escape(name)} (\\S+)$", RegexOptions.Multiline) is { Success: true } m
            ? m.Groups[1].Value
            : throw new Xunit.Sdk.XunitException($"no 'set {name}' in the script:\n{script}");
}
