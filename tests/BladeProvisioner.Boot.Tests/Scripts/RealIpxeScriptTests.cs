using BladeProvisioner.Boot.Scripts;

namespace BladeProvisioner.Boot.Tests.Scripts;

/// <summary>
/// The rendered scripts run in real iPXE 1.0.0+git-20190125 (Debian's ipxe.lkrn under QEMU, no network card): the
/// syntax is accepted, the failure paths go where they should, and hostile text stays text.
/// </summary>
public sealed class RealIpxeScriptTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private readonly IpxeScriptRenderer _renderer = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void AssertNoScriptErrors(IpxeVm.Transcript run)
    {
        Assert.False(run.TimedOut, "iPXE never reached the expected line:\n" + run.Script);
        Assert.DoesNotContain("command not found", run.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Invalid argument", run.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Usage:", run.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("No such file", run.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SanbootRetriesThreeTimesClearsSecretsThenHeadsForTheMenu()
    {
        var script = _renderer.Sanboot(ScriptSamples.Sanboot(mutual: false) with { RetrySeconds = 1 });

        var run = await IpxeVm.RunAsync(script, "no answer from the appliance", Limit, Ct);

        AssertNoScriptErrors(run);
        var s = run.Flat;
        Assert.Contains("Attempt 1 of 3: sanboot iscsi:10.99.0.1:::1:iqn.2026-11.com.example.bp:blade.17", s, StringComparison.Ordinal);
        Assert.Contains("Boot attempt 1 failed (error 0x280a6011); trying again in 1 seconds.", s, StringComparison.Ordinal);
        Assert.Contains("Attempt 3 of 3:", s, StringComparison.Ordinal);
        Assert.DoesNotContain("Attempt 4", s, StringComparison.Ordinal);
        Assert.DoesNotContain("Boot attempt 3 failed", s, StringComparison.Ordinal);
        Assert.Contains("Could not boot from the iSCSI volume after 3 attempts (error 0x280a6011).", s, StringComparison.Ordinal);
        Assert.DoesNotContain("Kq7hTz3mWp9xRb2N", s, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MutualChapScriptRunsTheSameWay()
    {
        var script = _renderer.Sanboot(ScriptSamples.Sanboot(mutual: true) with { RetrySeconds = 1, Attempts = 2 });

        var run = await IpxeVm.RunAsync(script, "no answer from the appliance", Limit, Ct);

        AssertNoScriptErrors(run);
        Assert.Contains("Could not boot from the iSCSI volume after 2 attempts", run.Flat, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MenuShowsImagesVerbatimAndItsTimeoutRefreshes()
    {
        var script = _renderer.Menu(ScriptSamples.Menu() with
        {
            TimeoutSeconds = 1,
            Error = "login refused",
            Images = [.. ScriptSamples.Menu().Images, new MenuImage(9, "evil && reboot ; echo ${platform} #hidden")],
        });

        var run = await IpxeVm.RunAsync(script, "starting again from DHCP in 10 seconds", Limit, Ct);

        AssertNoScriptErrors(run);
        Assert.False(run.GuestReset, "a menu item's text ran as a command");
        var s = run.Flat;
        Assert.Contains("BladeProvisioner - blade 17 (52:54:00:12:34:56)", s, StringComparison.Ordinal);
        Assert.Contains("Last attempt failed: login refused", s, StringComparison.Ordinal);
        Assert.Contains("Ubuntu \"24.04 LTS\" server v1", s, StringComparison.Ordinal);
        Assert.Contains("evil '&&' reboot ';' echo $(platform} '#hidden'", s, StringComparison.Ordinal);
        Assert.DoesNotContain("pcbios", s, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ErrorShowsWordsThenReturnsToTheMenu()
    {
        var script = _renderer.Error(ScriptSamples.Error() with
        {
            Message = "Refused: a && reboot ; echo ${platform} #hidden",
            ReturnSeconds = 1,
        });

        var run = await IpxeVm.RunAsync(script, "Press any key to return to the menu.", Limit, Ct);

        AssertNoScriptErrors(run);
        Assert.False(run.GuestReset);
        Assert.Contains("BladeProvisioner: Refused: a '&&' reboot ';' echo $(platform} '#hidden'", run.Flat, StringComparison.Ordinal);
        Assert.Contains("Error code: IMAGE_NOT_ACTIVE", run.Flat, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProgressPrintsTheBarThenPollsAgain()
    {
        var script = _renderer.Progress(ScriptSamples.Progress() with { RefreshSeconds = 1 });

        // iPXE names the URL it failed to fetch without its query.
        var run = await IpxeVm.RunAsync(script, "http://10.99.0.1:8080/boot/status... Network unreachable", Limit, Ct);

        AssertNoScriptErrors(run);
        Assert.Contains("[##########..............................] 25%, 118.5 MiB/s, 1.0 GiB of 4.0 GiB, about 26 s left", run.Flat, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EntryStartsAgainFromDhcpWhenTheApplianceDoesNotAnswer()
    {
        var script = _renderer.Entry(new EntryScript(ScriptSamples.BaseUri) { RetrySeconds = 1, Ticket = "tK-9_x" });

        var run = await IpxeVm.RunAsync(script, "starting again from DHCP in 1 seconds.", Limit, Ct);

        AssertNoScriptErrors(run);
        Assert.Contains("http://10.99.0.1:8080/boot/blade... Network unreachable", run.Flat, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EntryUrlExpandsTheIdentitySettings()
    {
        // The same URL, echoed instead of fetched, shows what iPXE would send.
        var chain = _renderer.Entry(new EntryScript(ScriptSamples.BaseUri)).Split('\n').Single(l => l.StartsWith("chain ", StringComparison.Ordinal) && l.Contains("/boot/blade", StringComparison.Ordinal));
        var probe = "#!ipxe\necho URL=" + chain["chain --autofree --replace ".Length..^" || goto restart".Length] + " END\n";

        var run = await IpxeVm.RunAsync(probe, " END", Limit, Ct);

        AssertNoScriptErrors(run);
        // QEMU's SMBIOS: no serial number, product "Standard PC (i440FX + PIIX, 1996)"; no NIC, so no MAC.
        Assert.Matches(
            @"URL=http://10\.99\.0\.1:8080/boot/blade\?mac=&uuid=[0-9a-f-]{36}&serial=&manufacturer=QEMU&product=Standard%20PC%20\(i440FX%20\+%20PIIX,%201996\)&platform=pcbios&buildarch=i386 END",
            run.Flat);
    }

    [Fact]
    public async Task RebootRestartsTheBlade()
    {
        var run = await IpxeVm.RunAsync(_renderer.Reboot(new RebootScript("ready.") { DelaySeconds = 1 }), "never printed", Limit, Ct);

        Assert.True(run.GuestReset, "iPXE did not reboot:\n" + run.Script);
        Assert.Contains("BladeProvisioner: ready.", run.Flat, StringComparison.Ordinal);
    }
}
