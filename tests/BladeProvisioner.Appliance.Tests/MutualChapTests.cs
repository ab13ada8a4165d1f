using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>
/// Finding 13b of the security review: mutual CHAP is on by default and set per blade. A blade provisioned through
/// its boot conversation on an appliance with default settings gets a sanboot script that makes iPXE check the
/// target, the appliance's tgtd binds that target's own outgoing account, and libiscsi's initiator (which checks the
/// target's CHAP response like iPXE and open-iscsi do) refuses a target that cannot prove the mutual secret.
/// </summary>
public sealed partial class MutualChapTests(PostgresServer postgres)
{
    private const string Mac = "52:54:00:b0:13:01";
    private const string OptedOutMac = "52:54:00:b0:13:02";

    [GeneratedRegex(@"/boot/choose\?blade=(?<blade>\d+)&image=(?<image>\d+)[^\s]*")]
    private static partial Regex ChooseLink();

    [Fact]
    public async Task ByDefaultTheTargetMustProveItselfAndABladeCanOptOut()
    {
        Prerequisites.RequireProgram("/usr/bin/iscsi-inq");
        Prerequisites.RequireProgram("/usr/sbin/sfdisk");
        var ct = TestContext.Current.CancellationToken;
        var cs = await postgres.CreateEmptyDatabaseAsync("mutual");
        await using var factory = new ApplianceFactory(cs);
        factory.UseKestrel(ApplianceProcess.FreeTcpPort());
        factory.StartServer();
        await factory.Services.WaitReadyAsync(ct);
        using var api = factory.CreateClient();
        using var ipxe = factory.CreateClient();
        var image = await TestImages.ImportAsync(api, factory, "mutual-image", "Bios", ct);

        // The blade enrols, is leased 127.0.0.1 and chooses the image at its menu, as at a console.
        var menu = await ipxe.GetStringAsync(await TestBoot.IdentifyPathAsync(factory.Services, Mac.Replace(':', '-'), "platform=pcbios&buildarch=i386"), ct);
        var blade = (await api.GetFromJsonAsync<List<BladeDto>>("/api/blades", JsonDefaults.Options, ct))!.Single();
        var choose = ChooseLink().Matches(menu).Single(m => m.Groups["image"].Value == image.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await ipxe.GetStringAsync(choose.Value, ct);
        await WaitProvisionedAsync(api, blade.Id, ct);

        var sanboot = await ipxe.GetStringAsync(await TestBoot.IdentifyPathAsync(factory.Services, Mac, "platform=pcbios&buildarch=i386"), ct);
        var secret = Setting(sanboot, "password");
        var mutualUser = Setting(sanboot, "reverse-username");
        var mutualSecret = Setting(sanboot, "reverse-password");
        Assert.Equal($"bp-target-{blade.Id}", mutualUser);
        Assert.Equal(16, mutualSecret.Length);
        Assert.NotEqual(secret, mutualSecret);
        var volume = (await api.GetFromJsonAsync<List<VolumeDto>>($"/api/volumes?bladeId={blade.Id}", JsonDefaults.Options, ct))!.Single();
        Assert.True(volume.MutualChap);

        // tgtd has the target's own outgoing account bound.
        var show = TestNetwork.Run("tgtadm", ["-C", Port(factory.TgtControlPort), "--lld", "iscsi", "--op", "show", "--mode", "target"], TimeSpan.FromSeconds(30));
        Assert.Equal(0, show.ExitCode);
        Assert.Contains($"{mutualUser} (outgoing)", show.Stdout, StringComparison.Ordinal);

        // The right incoming CHAP and the right mutual secret: in. The right incoming CHAP but a target that
        // cannot prove the mutual secret the initiator holds: the initiator refuses the login.
        Assert.Equal(0, Inquiry(factory, blade.InitiatorIqn!, volume, secret, mutualUser, mutualSecret).ExitCode);
        var impostor = Inquiry(factory, blade.InitiatorIqn!, volume, secret, mutualUser, "Wrong" + mutualSecret[5..]);
        Assert.NotEqual(0, impostor.ExitCode);
        Assert.NotEqual(0, Inquiry(factory, blade.InitiatorIqn!, volume, secret, "bp-target-999", mutualSecret).ExitCode);

        // A blade whose initiator cannot check the target opts out through the API; its next volume has no mutual CHAP.
        using (var created = await api.PostAsJsonAsync("/api/blades", new { bootMac = OptedOutMac }, ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var optedOut = (await api.GetFromJsonAsync<List<BladeDto>>("/api/blades?q=b0:13:02", JsonDefaults.Options, ct))!.Single();
        using (var patch = await api.PatchAsJsonAsync($"/api/blades/{optedOut.Id}", new { mutualChap = false }, ct))
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }

        using (var provision = await api.PostAsJsonAsync($"/api/blades/{optedOut.Id}/provision", new { imageId = image }, ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, provision.StatusCode);
        }

        await WaitProvisionedAsync(api, optedOut.Id, ct);
        var plain = (await api.GetFromJsonAsync<List<VolumeDto>>($"/api/volumes?bladeId={optedOut.Id}", JsonDefaults.Options, ct))!.Single();
        Assert.False(plain.MutualChap);
        var preview = await api.GetStringAsync($"/api/boot/preview?mac={OptedOutMac}&platform=Bios", ct);
        Assert.Contains("clear reverse-username", preview, StringComparison.Ordinal);
        show = TestNetwork.Run("tgtadm", ["-C", Port(factory.TgtControlPort), "--lld", "iscsi", "--op", "show", "--mode", "target"], TimeSpan.FromSeconds(30));
        Assert.DoesNotContain($"bp-target-{optedOut.Id} (outgoing)", show.Stdout, StringComparison.Ordinal);
    }

    private static async Task WaitProvisionedAsync(HttpClient api, long bladeId, CancellationToken ct)
    {
        var blade = await Eventually.UntilAsync(
            async () => (await api.GetFromJsonAsync<BladeDto>($"/api/blades/{bladeId}", JsonDefaults.Options, ct))!,
            b => b.State is "Provisioned" or "Failed",
            TimeSpan.FromSeconds(180));
        Assert.Equal("Provisioned", blade.State);
    }

    private static string Setting(string script, string name) =>
        Regex.Match(script, $"^set {Regex.Escape(name)} (\\S+)$", RegexOptions.Multiline) is { Success: true } m
            ? m.Groups[1].Value
            : throw new Xunit.Sdk.XunitException($"no 'set {name}' in the script:\n{script}");

    private static string Port(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>libiscsi's iscsi-inq logging in with incoming CHAP and checking the target with the mutual user and secret.</summary>
    private static (int ExitCode, string Stdout, string Stderr) Inquiry(ApplianceFactory factory, string initiator, VolumeDto volume, string secret, string mutualUser, string mutualSecret) =>
        TestNetwork.Run(
            "env",
            [
                $"LIBISCSI_CHAP_TARGET_USERNAME={mutualUser}", $"LIBISCSI_CHAP_TARGET_PASSWORD={mutualSecret}",
                "iscsi-inq", "-i", initiator, $"iscsi://{volume.ChapUser}%{secret}@127.0.0.1:{factory.PortalPort}/{volume.TargetIqn}/1",
            ],
            TimeSpan.FromSeconds(30));
}
