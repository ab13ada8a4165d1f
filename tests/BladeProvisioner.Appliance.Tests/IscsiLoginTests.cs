using System.Globalization;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using BladeProvisioner.Appliance.Tests.DataPlane;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>
/// "Active" means the blade reached its disk: the sanboot script alone leaves a blade Provisioned; the blade's own
/// iSCSI login, seen in the appliance's tgtd's session list, makes it Active and lands on its timeline once; the
/// session's end is recorded too. The initiator is libiscsi playing the blade with the credentials of its sanboot
/// script; a login with another initiator name is refused by tgtd and records nothing.
/// </summary>
public sealed partial class IscsiLoginTests(PostgresServer postgres)
{
    private const string Mac = "52:54:00:b0:21:01";
    private const string Intruder = "iqn.2026-11.local.test:intruder";

    [GeneratedRegex(@"/boot/choose\?blade=(?<blade>\d+)&image=(?<image>\d+)[^\s]*")]
    private static partial Regex ChooseLink();

    [Fact]
    public async Task TheBladesOwnLoginMakesItActiveAndItsEndIsRecorded()
    {
        Prerequisites.RequireProgram("/usr/bin/iscsi-inq");
        Prerequisites.RequireProgram("/usr/sbin/sfdisk");
        Prerequisites.RequireProgram("/usr/lib/x86_64-linux-gnu/libiscsi.so.7");
        var ct = TestContext.Current.CancellationToken;
        var cs = await postgres.CreateEmptyDatabaseAsync("oslogin");
        await using var factory = new ApplianceFactory(cs, new Dictionary<string, string> { ["Targets:SessionPollInterval"] = "00:00:00.500" });
        factory.UseKestrel(ApplianceProcess.FreeTcpPort());
        factory.StartServer();
        await factory.Services.WaitReadyAsync(ct);
        using var api = factory.CreateClient();
        using var ipxe = factory.CreateClient();
        var image = await TestImages.ImportAsync(api, factory, "oslogin-image", "Bios", ct);

        // Menu, choice, progress until the volume is ready and the blade is told to restart (in-band).
        var menu = await ipxe.GetStringAsync(await TestBoot.IdentifyPathAsync(factory.Services, Mac.Replace(':', '-'), "platform=pcbios&buildarch=i386"), ct);
        var blade = (await api.GetFromJsonAsync<List<BladeDto>>("/api/blades", JsonDefaults.Options, ct))!.Single();
        var choose = ChooseLink().Matches(menu).Single(m => m.Groups["image"].Value == image.ToString(CultureInfo.InvariantCulture));
        var status = await ipxe.GetStringAsync(choose.Value, ct);
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (!status.Contains("reboot", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250, ct);
            status = await ipxe.GetStringAsync(TestBoot.StatusPath(status), ct);
        }

        Assert.Contains("reboot", status, StringComparison.Ordinal);

        // The sanboot script is issued: the blade stays Provisioned, with "sanboot issued" on its timeline and boot.
        var sanboot = await ipxe.GetStringAsync(await TestBoot.IdentifyPathAsync(factory.Services, Mac, "platform=pcbios&buildarch=i386"), ct);
        var volume = (await api.GetFromJsonAsync<List<VolumeDto>>($"/api/volumes?bladeId={blade.Id}", JsonDefaults.Options, ct))!.Single();
        var issued = await Eventually.UntilAsync(() => BladeAsync(api, blade.Id, ct), b => b.LastBoot?.SanbootAt is not null);
        Assert.Equal("Provisioned", issued.State);
        Assert.Equal("power", issued.LastBoot!.StartedBy);
        Assert.Null(issued.LastBoot.IscsiLoginAt);
        Assert.True(issued.LastBoot.SanbootAfterSeconds >= 0);

        // Another initiator name with the blade's own CHAP is refused by tgtd (ACL): nothing to record.
        var secret = Setting(sanboot, "password");
        Assert.NotEqual(0, Inquiry(factory, Intruder, volume, secret, Setting(sanboot, "reverse-username"), Setting(sanboot, "reverse-password")).ExitCode);

        // The blade logs in as its OS would: Active, one login event naming its initiator and address.
        var writer = BladeWriter.Start(
            $"127.0.0.1:{factory.PortalPort}", volume.TargetIqn, Setting(sanboot, "initiator-iqn"), Setting(sanboot, "username"), secret,
            Setting(sanboot, "reverse-username"), Setting(sanboot, "reverse-password"), TimeSpan.FromMilliseconds(200));
        try
        {
            await writer.WaitForMoreWritesAsync(3, TimeSpan.FromSeconds(30));
            var active = await Eventually.UntilAsync(() => BladeAsync(api, blade.Id, ct), b => b.State == "Active", TimeSpan.FromSeconds(60));
            Assert.Equal("Active", active.State);
            var logins = (await EventsAsync(api, blade.Id, ct)).Where(e => e.Kind == "blade.iscsi-login").ToList();
            var login = Assert.Single(logins);
            Assert.Equal($"iSCSI login from {blade.InitiatorIqn} at 127.0.0.1", login.Summary);
            Assert.Equal("storage", login.Actor);
            Assert.DoesNotContain(Intruder, string.Join('\n', (await EventsAsync(api, blade.Id, ct)).Select(e => e.Summary)), StringComparison.Ordinal);
            var states = (await EventsAsync(api, blade.Id, ct)).Where(e => e.Kind == "blade.state").Select(e => e.Summary).ToList();
            Assert.Contains($"Provisioned → Active: iSCSI login from {blade.InitiatorIqn} at 127.0.0.1", states);
            Assert.DoesNotContain(states, s => s.Contains("sanboot", StringComparison.Ordinal));

            var boot = active.LastBoot!;
            Assert.Equal("127.0.0.1", boot.IscsiLoginAddress);
            Assert.Equal(blade.InitiatorIqn, boot.IscsiLoginInitiator);
            Assert.Equal(issued.LastBoot.SanbootAt, boot.SanbootAt);
            Assert.True(boot.IscsiLoginAfterSeconds >= boot.SanbootAfterSeconds, $"login +{boot.IscsiLoginAfterSeconds} s, sanboot +{boot.SanbootAfterSeconds} s");
            Assert.Null(boot.IscsiLogoutAt);

            var metrics = await api.GetStringAsync("/metrics", ct);
            Assert.Matches(@"(?m)^bp_targets_sessions(\{[^}]*\})? 1$", metrics);
            Assert.Matches(@"(?m)^bp_targets_logins_total(\{[^}]*\})? [1-9]", metrics);
        }
        finally
        {
            writer.Dispose();
        }

        // The session ends: one logout event, and with no session left the blade is Provisioned again.
        var ended = await Eventually.UntilAsync(() => BladeAsync(api, blade.Id, ct), b => b.State == "Provisioned", TimeSpan.FromSeconds(60));
        Assert.Equal("Provisioned", ended.State);
        Assert.NotNull(ended.LastBoot!.IscsiLogoutAt);
        var events = await EventsAsync(api, blade.Id, ct);
        var logout = Assert.Single(events, e => e.Kind == "blade.iscsi-logout");
        Assert.StartsWith($"iSCSI logout of {blade.InitiatorIqn} at 127.0.0.1", logout.Summary, StringComparison.Ordinal);
        Assert.Single(events, e => e.Kind == "blade.iscsi-login");
    }

    /// <summary>
    /// The appliance is stopped (SIGTERM) and killed (SIGKILL) and started again while the blade stays logged in: tgtd and
    /// the session outlive it, and the next start finds the session already recorded: no second login event, the blade
    /// stays Active. The session's end after that is recorded once.
    /// </summary>
    [Fact]
    public async Task ALoginThatOutlivesApplianceRestartsIsRecordedOnce()
    {
        Prerequisites.RequireProgram("/usr/sbin/sfdisk");
        Prerequisites.RequireProgram("/usr/sbin/tgtadm");
        Prerequisites.RequireProgram("/usr/lib/x86_64-linux-gnu/libiscsi.so.7");
        using var dir = new TempDirectory("bp-oslogin");
        var cs = await postgres.CreateEmptyDatabaseAsync("osloginrestart");
        await using var appliance = new ApplianceProcess(
            dir.Path, cs, "--Appliance:NodeName", "node-oslogin", "--Targets:StopTgtdOnShutdown", "false", "--Boot:RequireDhcpTicket", "false",
            "--Targets:SessionPollInterval", "00:00:00.500");
        await appliance.StartAsync();
        var imageId = await TestDonors.ImportAsync(appliance, TestDonors.Write(dir.Sub("incoming"), 8 << 20), "oslogin");
        var (volume, writer) = await RunningBlade.ProvisionAndWriteAsync(appliance, imageId, "52:54:00:b0:21:02", reconnect: false);
        using var _ = writer;
        var active = await Eventually.UntilAsync(() => appliance.GetAsync<BladeDto>($"api/blades/{volume.BladeId}"), b => b.State == "Active", TimeSpan.FromSeconds(60));
        Assert.Equal("Active", active.State);
        Assert.Single(await LoginsAsync(appliance, volume.BladeId));

        // The blade page (behind the management listener's TLS) shows this boot's sanboot and login.
        var page = await appliance.Http.GetStringAsync($"blades/{volume.BladeId}", TestContext.Current.CancellationToken);
        Assert.Contains("id=\"boot-sanboot\"", page, StringComparison.Ordinal);
        Assert.Contains($"from 127.0.0.1 as {active.InitiatorIqn}", page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"boot-no-login\"", page, StringComparison.Ordinal);

        await appliance.StopAsync();
        await appliance.StartAsync();
        await WaitPolledWithSessionAsync(appliance);
        await appliance.KillAsync();
        await appliance.StartAsync();
        await WaitPolledWithSessionAsync(appliance);

        Assert.Single(await LoginsAsync(appliance, volume.BladeId));
        Assert.Equal("Active", (await appliance.GetAsync<BladeDto>($"api/blades/{volume.BladeId}")).State);
        var events = await appliance.GetAsync<List<EventDto>>($"api/events?bladeId={volume.BladeId}&limit=500");
        Assert.DoesNotContain(events, e => e.Kind == "blade.iscsi-logout");
        Assert.Empty(writer.Failures);

        writer.Dispose();
        await Eventually.UntilAsync(() => appliance.GetAsync<BladeDto>($"api/blades/{volume.BladeId}"), b => b.State == "Provisioned", TimeSpan.FromSeconds(60));
        events = await appliance.GetAsync<List<EventDto>>($"api/events?bladeId={volume.BladeId}&limit=500");
        Assert.Single(events, e => e.Kind == "blade.iscsi-logout");
        Assert.Single(events, e => e.Kind == "blade.iscsi-login");
    }

    /// <summary>This run of the appliance has completed a session poll that found the blade's session open.</summary>
    private static async Task WaitPolledWithSessionAsync(ApplianceProcess appliance)
    {
        var metrics = await Eventually.UntilAsync(
            async () => await appliance.Http.GetStringAsync("metrics"),
            m => Regex.IsMatch(m, @"(?m)^bp_targets_sessions(\{[^}]*\})? 1$"),
            TimeSpan.FromSeconds(60));
        Assert.Matches(@"(?m)^bp_targets_sessions(\{[^}]*\})? 1$", metrics);
    }

    private static async Task<List<EventDto>> LoginsAsync(ApplianceProcess appliance, long bladeId) =>
        [.. (await appliance.GetAsync<List<EventDto>>($"api/events?bladeId={bladeId}&limit=500")).Where(e => e.Kind == "blade.iscsi-login")];

    private static async Task<BladeDto> BladeAsync(HttpClient api, long id, CancellationToken ct) =>
        (await api.GetFromJsonAsync<BladeDto>($"/api/blades/{id}", JsonDefaults.Options, ct))!;

    private static async Task<List<EventDto>> EventsAsync(HttpClient api, long bladeId, CancellationToken ct) =>
        (await api.GetFromJsonAsync<List<EventDto>>($"/api/events?bladeId={bladeId}&limit=500", JsonDefaults.Options, ct))!;

    private static string Setting(string script, string name) =>
        Regex.Match(script, $"^set {Regex.Escape(name)} (\\S+)$", RegexOptions.Multiline) is { Success: true } m
            ? m.Groups[1].Value
            : throw new Xunit.Sdk.XunitException($"no 'set {name}' in the script:\n{script}");

    private static (int ExitCode, string Stdout, string Stderr) Inquiry(ApplianceFactory factory, string initiator, VolumeDto volume, string secret, string mutualUser, string mutualSecret) =>
        TestNetwork.Run(
            "env",
            [
                $"LIBISCSI_CHAP_TARGET_USERNAME={mutualUser}", $"LIBISCSI_CHAP_TARGET_PASSWORD={mutualSecret}",
                "iscsi-inq", "-i", initiator, $"iscsi://{volume.ChapUser}%{secret}@127.0.0.1:{factory.PortalPort}/{volume.TargetIqn}/1",
            ],
            TimeSpan.FromSeconds(30));
}
