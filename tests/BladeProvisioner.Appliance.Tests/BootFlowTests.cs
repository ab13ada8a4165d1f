using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>
/// The blade's conversation end to end through the real host, with an HTTP client acting as iPXE, a real PostgreSQL,
/// the appliance's own tgtd, and libiscsi's initiator proving the sanboot credentials work: enrol → menu of compatible
/// Active images → choose → progress while the clone job runs → reboot → sanboot with the right names and CHAP →
/// 403 without the boot ticket of a DHCP answer or the token of the blade's own conversation → decommission → the menu
/// again. (The tickets are issued through the same service the DHCP server calls; on the wire: BootAdmissionTests.)
/// </summary>
public sealed partial class BootFlowTests(PostgresServer postgres)
{
    private const string Mac = "52:54:00:b0:07:01";

    [GeneratedRegex(@"/boot/choose\?blade=(?<blade>\d+)&image=(?<image>\d+)(&token=(?<token>[A-Za-z0-9_-]+))?")]
    private static partial Regex ChooseLink();

    [Fact]
    public async Task BladeIsEnrolledProvisionedBootedFromItsLunAndDecommissioned()
    {
        Prerequisites.RequireProgram("/usr/bin/iscsi-inq");
        Prerequisites.RequireProgram("/usr/sbin/sfdisk");
        var ct = TestContext.Current.CancellationToken;
        var cs = await postgres.CreateEmptyDatabaseAsync("boot");
        await using var factory = new ApplianceFactory(cs);

        // Real sockets: tickets and tokens are bound to the caller's address.
        factory.UseKestrel(ApplianceProcess.FreeTcpPort());
        factory.StartServer();
        await factory.Services.WaitReadyAsync(ct);
        using var api = factory.CreateClient();
        using var ipxe = factory.CreateClient();

        var bios = await TestImages.ImportAsync(api, factory, "bios-image", "Bios", ct);
        var uefi = await TestImages.ImportAsync(api, factory, "uefi-image", "Uefi", ct);

        // 1. First contact: iPXE sends the blade's identity; the blade is enrolled and gets the menu.
        var menu = await ScriptAsync(ipxe, await TestBoot.IdentifyPathAsync(factory.Services, Mac.Replace(':', '-'), "uuid=&serial=SN-42&manufacturer=QEMU&product=Standard%20PC&platform=pcbios&buildarch=i386"), ct);
        Assert.StartsWith("#!ipxe", menu, StringComparison.Ordinal);
        var blade = (await api.GetFromJsonAsync<List<BladeDto>>("/api/blades", JsonDefaults.Options, ct))!.Single();
        Assert.Equal(Mac, blade.BootMac);
        Assert.Equal("Discovered", blade.State);
        Assert.Contains("bios-image", menu, StringComparison.Ordinal);
        Assert.DoesNotContain("uefi-image", menu, StringComparison.Ordinal);
        Assert.Contains("reboot", menu, StringComparison.Ordinal);
        Assert.Contains("shell", menu, StringComparison.Ordinal);
        var choose = ChooseLink().Matches(menu).Single(m => m.Groups["image"].Value == bios.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // 2. The choice starts the clone job; the progress screen refreshes until the volume is ready, then reboots.
        var progress = await ScriptAsync(ipxe, new Uri(choose.Value, UriKind.Relative).ToString().TrimStart('/').Insert(0, "/"), ct, factory.Log);
        Assert.Contains("/boot/status?blade=", progress, StringComparison.Ordinal);

        // Knowing the blade's id gets nothing: no progress, and no token to go on with.
        using (var guessed = await ipxe.GetAsync($"/boot/status?blade={blade.Id}", ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, guessed.StatusCode);
            Assert.DoesNotContain("token=", await guessed.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }

        // Each script's token is spent by the request it leads to: the same link twice is refused.
        var statusPath = TestBoot.StatusPath(progress);
        var status = await ScriptAsync(ipxe, statusPath, ct);
        using (var replayed = await ipxe.GetAsync(statusPath, ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, replayed.StatusCode);
        }

        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (!status.Contains("reboot", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250, ct);
            status = await ScriptAsync(ipxe, TestBoot.StatusPath(status), ct);
        }

        Assert.Contains("reboot", status, StringComparison.Ordinal);
        var provisioned = await api.GetFromJsonAsync<BladeDto>($"/api/blades/{blade.Id}", JsonDefaults.Options, ct);
        Assert.Equal("Provisioned", provisioned!.State);
        var volume = (await api.GetFromJsonAsync<List<VolumeDto>>($"/api/volumes?bladeId={blade.Id}", JsonDefaults.Options, ct))!.Single();
        Assert.Equal("Exported", volume.State);
        Assert.Equal(1, volume.Lun);
        Assert.EndsWith($":blade.{blade.Id}", volume.TargetIqn, StringComparison.Ordinal);

        // 3. After the restart the blade gets its sanboot script: its own names, LUN 1 on the portal, CHAP.
        var sanbootPath = await TestBoot.IdentifyPathAsync(factory.Services, Mac, "platform=pcbios&buildarch=i386");
        var sanboot = await ScriptAsync(ipxe, sanbootPath, ct);
        var portal = factory.PortalPort;
        Assert.Contains($"set initiator-iqn {blade.InitiatorIqn}", sanboot, StringComparison.Ordinal);
        Assert.Contains($"set username {volume.ChapUser}", sanboot, StringComparison.Ordinal);
        Assert.Contains($"sanboot iscsi:127.0.0.1::{portal}:1:{volume.TargetIqn}", sanboot, StringComparison.Ordinal);
        var secret = Regex.Match(sanboot, @"^set password (\S+)$", RegexOptions.Multiline).Groups[1].Value;
        Assert.Equal(16, secret.Length);
        // Issuing the script is not booting: the blade is Active only once its login is seen on its target (IscsiLoginTests).
        Assert.Equal("Provisioned", (await api.GetFromJsonAsync<BladeDto>($"/api/blades/{blade.Id}", JsonDefaults.Options, ct))!.State);

        // The credentials in the script really open the LUN — and only with this blade's initiator name.
        Assert.Equal(0, Inquiry(blade.InitiatorIqn!, volume.ChapUser, secret, portal, volume.TargetIqn).ExitCode);
        Assert.NotEqual(0, Inquiry("iqn.2026-11.local.test:intruder", volume.ChapUser, secret, portal, volume.TargetIqn).ExitCode);
        Assert.NotEqual(0, Inquiry(blade.InitiatorIqn!, volume.ChapUser, "WrongSecret1234x", portal, volume.TargetIqn).ExitCode);

        // 4. Without a fresh ticket of its own the script with the secrets is refused and audited: no ticket (a
        //    process on the running blade, from the blade's own address), the spent ticket again, a ticket issued for
        //    another address, a ticket issued to another MAC.
        string[] refused =
        [
            $"/boot/blade?mac={Mac}&platform=pcbios",
            sanbootPath,
            await TestBoot.IdentifyPathAsync(factory.Services, Mac, "platform=pcbios", address: "10.99.77.7"),
            $"/boot/blade?mac={Mac}&platform=pcbios&ticket={await TestBoot.TicketAsync(factory.Services, "52:54:00:b0:07:99")}",
        ];
        foreach (var path in refused)
        {
            using var denied = await ipxe.GetAsync(path, ct);
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
            Assert.DoesNotContain(secret, await denied.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }

        var events = await Eventually.UntilAsync(
            async () => (await api.GetFromJsonAsync<List<EventDto>>($"/api/events?bladeId={blade.Id}&limit=500", JsonDefaults.Options, ct))!,
            es => es.Any(e => e.Kind == "boot.denied"));
        Assert.Contains(events, e => e.Kind == "boot.denied");
        Assert.DoesNotContain(events, e => e.Summary.Contains(secret, StringComparison.Ordinal));

        // 5. Decommission: target, volume and lease go; the blade is Discovered and sees the menu again.
        using (var decommission = await api.PostAsync($"/api/blades/{blade.Id}/decommission", null, ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, decommission.StatusCode);
        }

        deadline = DateTime.UtcNow.AddSeconds(120);
        BladeDto? after;
        do
        {
            await Task.Delay(200, ct);
            after = await api.GetFromJsonAsync<BladeDto>($"/api/blades/{blade.Id}", JsonDefaults.Options, ct);
        }
        while (after!.State != "Discovered" && DateTime.UtcNow < deadline);
        Assert.Equal("Discovered", after.State);
        Assert.Empty((await api.GetFromJsonAsync<List<VolumeDto>>($"/api/volumes?bladeId={blade.Id}", JsonDefaults.Options, ct))!);
        Assert.False(File.Exists(volume.BackingPath));
        Assert.NotEqual(0, Inquiry(blade.InitiatorIqn!, volume.ChapUser, secret, portal, volume.TargetIqn).ExitCode);
        var again = await ScriptAsync(ipxe, await TestBoot.IdentifyPathAsync(factory.Services, Mac, "platform=pcbios"), ct);
        Assert.Contains("bios-image", again, StringComparison.Ordinal);
        Assert.DoesNotContain("sanboot", again, StringComparison.Ordinal);

        // The timeline tells the story.
        events = (await api.GetFromJsonAsync<List<EventDto>>($"/api/events?bladeId={blade.Id}&limit=500", JsonDefaults.Options, ct))!;
        foreach (var kind in new[] { "blade.enrolled", "boot.menu", "boot.chosen", "volume.cloned", "volume.exported", "boot.sanboot", "volume.deleted", "blade.state" })
        {
            Assert.Contains(events, e => e.Kind == kind);
        }

        _ = uefi;
    }

    /// <summary>GET a boot script; a failure shows the body (the script or problem the blade would have seen).</summary>
    private static async Task<string> ScriptAsync(HttpClient ipxe, string path, CancellationToken ct, FileLoggerProvider? log = null)
    {
        using var response = await ipxe.GetAsync(path, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode}\n{body}\n{log?.Read()}");
        return body;
    }

    private static (int ExitCode, string Stdout, string Stderr) Inquiry(string initiator, string user, string secret, int port, string target) =>
        TestNetwork.Run("iscsi-inq", ["-i", initiator, $"iscsi://{user}%{secret}@127.0.0.1:{port}/{target}/1"], TimeSpan.FromSeconds(30));
}
