using BladeProvisioner.Boot.Scripts;
using BladeProvisioner.Core.Errors;

namespace BladeProvisioner.Boot.Tests.Scripts;

/// <summary>Each script pinned line by line for one known blade (blade 17, 52:54:00:12:34:56): see <see cref="ScriptSamples"/>.</summary>
public sealed class IpxeScriptRendererTests
{
    private readonly IpxeScriptRenderer _renderer = new();

    private static void AssertLines(string[] expected, string script)
    {
        Assert.EndsWith("\n", script, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", script, StringComparison.Ordinal);
        Assert.Equal(expected, script[..^1].Split('\n'));
    }

    [Fact]
    public void SanbootWithOneWayChap()
    {
        AssertLines(
            [
                "#!ipxe",
                "# BladeProvisioner: boot blade 17 from its iSCSI volume. Holds CHAP secrets: for this blade only.",
                "echo BladeProvisioner: booting blade 17 from iSCSI (debian-12 v2)",
                "set initiator-iqn iqn.2026-11.com.example.bp:initiator.525400123456",
                "set username bp-blade-17",
                "set password Kq7hTz3mWp9xRb2N",
                "clear reverse-username",
                "clear reverse-password",
                "set bp-attempt:int32 0",
                ":sanboot",
                "inc bp-attempt",
                "echo Attempt ${bp-attempt} of 3: sanboot iscsi:10.99.0.1:::1:iqn.2026-11.com.example.bp:blade.17",
                "sanboot iscsi:10.99.0.1:::1:iqn.2026-11.com.example.bp:blade.17 || goto failed",
                ":failed",
                "set bp-error ${errno}",
                "iseq ${bp-attempt} 3 && goto give-up ||",
                "echo Boot attempt ${bp-attempt} failed (error ${bp-error}); trying again in 5 seconds.",
                "sleep 5",
                "goto sanboot",
                ":give-up",
                "clear password",
                "clear reverse-password",
                "echo Could not boot from the iSCSI volume after 3 attempts (error ${bp-error}).",
                ":menu",
                "chain --autofree --replace http://10.99.0.1:8080/boot/menu?blade=17&error=SANBOOT_FAILED&errno=${bp-error} || goto restart",
                ":restart",
                "echo BladeProvisioner: no answer from the appliance, or not admitted (${errno}); starting again from DHCP in 10 seconds.",
                "sleep 10",
                "dhcp || goto restart",
                "chain --autofree --replace ${filename} || goto restart",
            ],
            _renderer.Sanboot(ScriptSamples.Sanboot(mutual: false)));
    }

    [Fact]
    public void SanbootWithMutualChap()
    {
        AssertLines(
            [
                "#!ipxe",
                "# BladeProvisioner: boot blade 17 from its iSCSI volume. Holds CHAP secrets: for this blade only.",
                "echo BladeProvisioner: booting blade 17 from iSCSI (debian-12 v2)",
                "set initiator-iqn iqn.2026-11.com.example.bp:initiator.525400123456",
                "set username bp-blade-17",
                "set password Kq7hTz3mWp9xRb2N",
                "set reverse-username bp-target-17",
                "set reverse-password Vn4sJd8fYc6gHt5L",
                "set bp-attempt:int32 0",
                ":sanboot",
                "inc bp-attempt",
                "echo Attempt ${bp-attempt} of 3: sanboot iscsi:10.99.0.1:::1:iqn.2026-11.com.example.bp:blade.17",
                "sanboot iscsi:10.99.0.1:::1:iqn.2026-11.com.example.bp:blade.17 || goto failed",
                ":failed",
                "set bp-error ${errno}",
                "iseq ${bp-attempt} 3 && goto give-up ||",
                "echo Boot attempt ${bp-attempt} failed (error ${bp-error}); trying again in 5 seconds.",
                "sleep 5",
                "goto sanboot",
                ":give-up",
                "clear password",
                "clear reverse-password",
                "echo Could not boot from the iSCSI volume after 3 attempts (error ${bp-error}).",
                ":menu",
                "chain --autofree --replace http://10.99.0.1:8080/boot/menu?blade=17&error=SANBOOT_FAILED&errno=${bp-error} || goto restart",
                ":restart",
                "echo BladeProvisioner: no answer from the appliance, or not admitted (${errno}); starting again from DHCP in 10 seconds.",
                "sleep 10",
                "dhcp || goto restart",
                "chain --autofree --replace ${filename} || goto restart",
            ],
            _renderer.Sanboot(ScriptSamples.Sanboot(mutual: true)));
    }

    [Fact]
    public void MenuWithTwoImagesOneNamedWithSpacesAndQuotes()
    {
        AssertLines(
            [
                "#!ipxe",
                "# BladeProvisioner: image menu for blade 17.",
                ":menu",
                "menu BladeProvisioner - blade 17 (52:54:00:12:34:56)",
                "item --gap -- Operating systems for BIOS blades:",
                "item --key 1 img-3 1) debian-12 v2",
                "item --key 2 img-5 2) Ubuntu \"24.04 LTS\" server v1",
                "item --gap",
                "item --key r refresh Refresh this menu",
                "item --key b reboot Reboot",
                "item --key s shell iPXE shell",
                "choose --timeout 300000 --default refresh bp-choice || goto refresh",
                "goto ${bp-choice}",
                ":img-3",
                "chain --autofree --replace http://10.99.0.1:8080/boot/choose?blade=17&image=3 || goto restart",
                ":img-5",
                "chain --autofree --replace http://10.99.0.1:8080/boot/choose?blade=17&image=5 || goto restart",
                ":refresh",
                "chain --autofree --replace http://10.99.0.1:8080/boot/menu?blade=17 || goto restart",
                ":reboot",
                "reboot",
                ":shell",
                "echo Type exit to return to the menu.",
                "shell",
                "goto menu",
                ":restart",
                "echo BladeProvisioner: no answer from the appliance, or not admitted (${errno}); starting again from DHCP in 10 seconds.",
                "sleep 10",
                "dhcp || goto restart",
                "chain --autofree --replace ${filename} || goto restart",
            ],
            _renderer.Menu(ScriptSamples.Menu()));
    }

    [Fact]
    public void MenuShowsTheLastErrorInWordsAboveTheImages()
    {
        var script = _renderer.Menu(ScriptSamples.Menu() with { Error = "could not boot from the iSCSI volume: login refused (CHAP credentials or initiator ACL)" });

        Assert.Equal(
            [
                "menu BladeProvisioner - blade 17 (52:54:00:12:34:56)",
                "item --gap -- Last attempt failed: could not boot from the iSCSI volume: login refused",
                "item --gap -- (CHAP credentials or initiator ACL)",
                "item --gap",
                "item --gap -- Operating systems for BIOS blades:",
            ],
            script.Split('\n')[3..8]);
    }

    [Fact]
    public void MenuWithoutImagesSaysSoAndStillOffersRebootAndShell()
    {
        var script = _renderer.Menu(ScriptSamples.Menu() with { Images = [], Platform = Core.Model.BootPlatform.Uefi, TimeoutSeconds = 0 });

        Assert.Contains("item --gap -- Operating systems for UEFI blades:\nitem --gap -- (none yet: an administrator has to activate an image)\n", script, StringComparison.Ordinal);
        Assert.Contains("\nchoose --default refresh bp-choice || goto refresh\n", script, StringComparison.Ordinal);
        Assert.DoesNotContain(":img-", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Progress()
    {
        AssertLines(
            [
                "#!ipxe",
                "# BladeProvisioner: progress for blade 17.",
                "echo",
                "echo BladeProvisioner: preparing debian-12 v2 (cloning)",
                "echo [##########..............................] 25%, 118.5 MiB/s, 1.0 GiB of 4.0 GiB, about 26 s left",
                ":poll",
                "sleep 3",
                "chain --autofree --replace http://10.99.0.1:8080/boot/status?blade=17 || goto restart",
                ":restart",
                "echo BladeProvisioner: no answer from the appliance, or not admitted (${errno}); starting again from DHCP in 3 seconds.",
                "sleep 3",
                "dhcp || goto restart",
                "chain --autofree --replace ${filename} || goto restart",
            ],
            _renderer.Progress(ScriptSamples.Progress()));
    }

    [Theory]
    [InlineData(null, null, null, "Waiting for the first progress report.")]
    [InlineData(0.0, null, null, "[........................................] 0%")]
    [InlineData(99.9, 0.0, null, "[#######################################.] 99%")]
    [InlineData(100.0, 500.0, 2048L, "[########################################] 100%, 500 B/s, 2.0 KiB of 2.0 KiB")]
    [InlineData(140.0, null, null, "[########################################] 100%")]
    public void ProgressLineCases(double? percent, double? rate, long? total, string expected)
    {
        var model = new ProgressScript(ScriptSamples.Links(), "x") { Percent = percent, BytesPerSecond = rate, BytesDone = total, BytesTotal = total };
        Assert.Equal(expected, IpxeScriptRenderer.ProgressLine(model));
    }

    [Fact]
    public void LongCloneShowsMinutesLeft()
    {
        var model = new ProgressScript(ScriptSamples.Links(), "x") { Percent = 1, BytesPerSecond = 10 * 1024 * 1024, BytesDone = 0, BytesTotal = 100L << 30 };
        Assert.EndsWith("about 171 min left", IpxeScriptRenderer.ProgressLine(model), StringComparison.Ordinal);
    }

    [Fact]
    public void Error()
    {
        AssertLines(
            [
                "#!ipxe",
                "# BladeProvisioner: error for blade 17.",
                "echo",
                "echo BladeProvisioner: The image \"debian-12 v2\" was paused by an",
                "echo administrator; choose another one.",
                "echo Error code: IMAGE_NOT_ACTIVE",
                ":menu",
                "prompt --timeout 15000 Press any key to return to the menu. ||",
                "chain --autofree --replace http://10.99.0.1:8080/boot/menu?blade=17&error=IMAGE_NOT_ACTIVE || goto restart",
                ":restart",
                "echo BladeProvisioner: no answer from the appliance, or not admitted (${errno}); starting again from DHCP in 10 seconds.",
                "sleep 10",
                "dhcp || goto restart",
                "chain --autofree --replace ${filename} || goto restart",
            ],
            _renderer.Error(ScriptSamples.Error()));
    }

    [Fact]
    public void Entry()
    {
        AssertLines(
            [
                "#!ipxe",
                "# BladeProvisioner: send this blade's identity, then run the script that comes back.",
                "chain --autofree --replace http://10.99.0.1:8080/boot/blade?mac=${netX/mac:hexhyp}&uuid=${uuid}&serial=${serial:uristring}"
                    + "&manufacturer=${manufacturer:uristring}&product=${product:uristring}&platform=${platform:uristring}&buildarch=${buildarch:uristring}"
                    + "&ticket=tK-9_x || goto restart",
                ":restart",
                "echo BladeProvisioner: no answer from the appliance, or not admitted (${errno}); starting again from DHCP in 10 seconds.",
                "sleep 10",
                "dhcp || goto restart",
                "chain --autofree --replace ${filename} || goto restart",
            ],
            _renderer.Entry(new EntryScript(ScriptSamples.BaseUri) { Ticket = "tK-9_x" }));
    }

    [Fact]
    public void Reboot()
    {
        AssertLines(
            ["#!ipxe", "echo BladeProvisioner: debian-12 v2 is ready.", "echo Restarting in 3 seconds.", "sleep 3", "reboot"],
            _renderer.Reboot(new RebootScript("debian-12 v2 is ready.")));
    }

    [Fact]
    public void TokenRidesOnEveryLink()
    {
        var script = _renderer.Menu(ScriptSamples.Menu() with { Links = ScriptSamples.Links("AbC-12_z") });

        // Every link to the appliance; the restart's ${filename} is the next DHCP answer's (it brings a ticket).
        var chains = script.Split('\n').Where(l => l.StartsWith("chain ", StringComparison.Ordinal) && !l.Contains("${filename}", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, chains.Count);
        Assert.All(chains, l => Assert.Contains("&token=AbC-12_z ", l, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("iqn.2026-11.com.example.bp:Initiator.X")]
    [InlineData("iqn.2026-13.com.example.bp:x")]
    [InlineData("eui.02004567A425678D")]
    [InlineData("iqn.2026-11.com.example bp:x")]
    [InlineData("iqn.2026-11.com.example.bp:x${password}")]
    [InlineData("")]
    public void InvalidInitiatorIqnIsRefused(string iqn)
    {
        var ex = Assert.Throws<DomainException>(() => _renderer.Sanboot(ScriptSamples.Sanboot(false) with { InitiatorIqn = iqn }));
        Assert.Equal(ErrorCodes.InvalidIqn, ex.Code);
    }

    [Fact]
    public void InvalidTargetIqnIsRefused()
    {
        var ex = Assert.Throws<DomainException>(() => _renderer.Sanboot(ScriptSamples.Sanboot(false) with { TargetIqn = "iqn.2026-11.com.example.bp:blade 17" }));
        Assert.Equal(ErrorCodes.InvalidIqn, ex.Code);
    }

    [Theory]
    [InlineData("bp blade", "Kq7hTz3mWp9xRb2N")]
    [InlineData("bp-blade-17", "short")]
    [InlineData("bp-blade-17", "Kq7hTz3m Wp9xRb2N")]
    [InlineData("bp-blade-17", "Kq7hTz3${x}Rb2N")]
    [InlineData("", "Kq7hTz3mWp9xRb2N")]
    public void UnsafeChapIsRefused(string user, string secret)
    {
        var ex = Assert.Throws<DomainException>(() => _renderer.Sanboot(ScriptSamples.Sanboot(false) with { Chap = new ChapCredentials(user, secret) }));
        Assert.Equal(ErrorCodes.ValidationFailed, ex.Code);
    }

    [Fact]
    public void MutualChapMustNotReuseTheInitiatorSecret()
    {
        var model = ScriptSamples.Sanboot(true) with { MutualChap = new ChapCredentials("bp-target-17", "Kq7hTz3mWp9xRb2N") };
        Assert.Throws<DomainException>(() => _renderer.Sanboot(model));
    }

    [Fact]
    public void DryRunMasksStandInForSecrets()
    {
        var mask = new string('*', 16);
        var script = _renderer.Sanboot(ScriptSamples.Sanboot(true) with
        {
            Chap = new ChapCredentials("bp-blade-17", mask),
            MutualChap = new ChapCredentials("bp-target-17", mask),
        });

        Assert.Contains("\nset password ****************\nset reverse-username bp-target-17\nset reverse-password ****************\n", script, StringComparison.Ordinal);
    }

    [Fact]
    public void SecretsStayOutOfToString()
    {
        var text = ScriptSamples.Sanboot(true).ToString();
        Assert.DoesNotContain("Kq7hTz3mWp9xRb2N", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Vn4sJd8fYc6gHt5L", text, StringComparison.Ordinal);
    }

    [Fact]
    public void HostileImageNameCannotAddACommandOrExpandASetting()
    {
        var script = _renderer.Menu(ScriptSamples.Menu() with
        {
            Images = [new MenuImage(9, "evil && reboot ; ${password} #x || chain\nhttp://x")],
        });

        Assert.Contains("\nitem --key 1 img-9 1) evil '&&' reboot ';' $(password} '#x' '||' chain http://x\n", script, StringComparison.Ordinal);
    }

    [Fact]
    public void TheFirstNineImagesAnswerToADigitTheRestToTheCursor()
    {
        var script = _renderer.Menu(ScriptSamples.Menu() with
        {
            Images = [.. Enumerable.Range(1, 11).Select(i => new MenuImage(100 + i, $"os {i}"))],
        });

        Assert.Contains("\nitem --key 1 img-101 1) os 1\n", script, StringComparison.Ordinal);
        Assert.Contains("\nitem --key 9 img-109 9) os 9\n", script, StringComparison.Ordinal);
        Assert.Contains("\nitem img-110 os 10\n", script, StringComparison.Ordinal);
        Assert.Contains("\nitem img-111 os 11\n", script, StringComparison.Ordinal);
        Assert.Contains("\nitem --key r refresh Refresh this menu\n", script, StringComparison.Ordinal);
    }
}
