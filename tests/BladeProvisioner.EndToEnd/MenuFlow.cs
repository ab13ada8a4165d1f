using System.Text.RegularExpressions;

namespace BladeProvisioner.EndToEnd;

/// <summary>
/// What an operator does at a blade's console: power it on, wait for the appliance's menu, pick the image with the
/// keyboard (QMP send-key), watch the progress screen, and see the OS come up from the blade's own LUN.
/// </summary>
internal static partial class MenuFlow
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Powers on a new blade and provisions it through the menu.</summary>
    /// <remarks>
    /// <paramref name="hostnameFromAppliance"/>: the OS's host name (iBFT, from DHCP option 12) is the blade's name in the
    /// appliance; false where the appliance answers no DHCP (external DHCP) and the site server names the blade.
    /// </remarks>
    public static Task<ProvisionedBlade> NewBladeAsync(
        ChassisFixture chassis, string name, string firmware, string expectedImage, CancellationToken ct, bool hostnameFromAppliance = true) =>
        NewBladeAsync(chassis, name, firmware, DonorOs.TestDonor(expectedImage), ct, hostnameFromAppliance);

    /// <summary>Powers on a new blade and provisions it through the menu with the image <paramref name="os"/> names.</summary>
    public static async Task<ProvisionedBlade> NewBladeAsync(
        ChassisFixture chassis, string name, string firmware, DonorOs os, CancellationToken ct, bool hostnameFromAppliance = true)
    {
        var powerOn = DateTimeOffset.UtcNow;
        var blade = await chassis.Lab.StartBladeAsync(name, firmware, ct, os.MemoryMiB);
        var row = await chassis.Api.WaitForBladeAsync(blade.Mac, BootTimeout, ct);
        return await ChooseAndBootAsync(chassis, blade, (long)row["id"]!, powerOn, 0, 0, os, ct, hostnameFromAppliance);
    }

    public static Task<ProvisionedBlade> ChooseAndBootAsync(
        ChassisFixture chassis, VirtualBlade blade, long bladeId, DateTimeOffset powerOn, long afterEventId, long serialOffset, string expectedImage, CancellationToken ct) =>
        ChooseAndBootAsync(chassis, blade, bladeId, powerOn, afterEventId, serialOffset, DonorOs.TestDonor(expectedImage), ct);

    /// <summary>The blade is on its way to the menu (powered on after <paramref name="afterEventId"/>): choose, boot, check.</summary>
    public static async Task<ProvisionedBlade> ChooseAndBootAsync(
        ChassisFixture chassis, VirtualBlade blade, long bladeId, DateTimeOffset powerOn, long afterEventId, long serialOffset, DonorOs os, CancellationToken ct,
        bool hostnameFromAppliance = true)
    {
        var api = chassis.Api;
        var times = new StageTimes($"blade {blade.Name} ({blade.Firmware}): power-on, menu choice, clone, restart, OS", powerOn);
        var shots = Path.Combine(chassis.Lab.Repository, "artifacts", "e2e", "screenshots");
        Directory.CreateDirectory(shots);
        try
        {
            await api.WaitForEventAsync(bladeId, "boot.menu", afterEventId, BootTimeout, ct);
            var lastMenuEvent = await SeeMenuAsync(api, blade, bladeId, afterEventId, serialOffset, os, ct);
            await CaptureAsync(blade, Path.Combine(shots, $"pxe-menu-{blade.Firmware}.png"), ct);

            var chosen = await PressAsync(chassis, blade, bladeId, lastMenuEvent, serialOffset, os, times, ct);
            if (blade.Firmware == "bios")
            {
                // The progress screen lasts a few seconds: capture it if it is still there.
                try
                {
                    await blade.WaitScreenAsync(PreparingPattern(), TimeSpan.FromSeconds(8), ct);
                    await CaptureAsync(blade, Path.Combine(shots, "pxe-progress-bios.png"), ct);
                }
                catch (TimeoutException)
                {
                }
            }

            var sanboot = await api.WaitForEventAsync(bladeId, "boot.sanboot", chosen.Id, BootTimeout, ct);
            OsMarker? marker = null;
            if (os.PrintsMarker)
            {
                marker = OsMarker.Parse(await blade.WaitSerialAsync(OsMarker.Any, serialOffset, os.OsTimeout, ct, wholeLine: true));
            }
            else
            {
                await blade.WaitSerialAsync(OsIdentity.Any, serialOffset, os.OsTimeout, ct, wholeLine: true);
            }

            times.Mark("OS marker (serial console)", DateTimeOffset.UtcNow);

            // Active is the OS's login on its target, seen by the appliance's session poll (a few seconds at most).
            await api.WaitForEventAsync(bladeId, "blade.iscsi-login", sanboot.Id, TimeSpan.FromSeconds(60), ct);
            var events = await api.TimelineAsync(bladeId, ct);
            AddBootStages(times, events, afterEventId);
            times.FromTimeline(events, chosen.Id - 1, ("boot.chosen", "clone job created"), ("job.started", "clone started"), ("volume.cloned", "clone done, table personalised"), ("volume.personalised", "OS personalised (machine-id, host keys, root grown)"),
                ("volume.exported", "target exported (ACL, CHAP)"), ("blade.restart", "restart: in-band iPXE reboot"), ("blade.restarted", "restart: through the BMC"));
            var restart = events.FirstOrDefault(e => e.Id > chosen.Id && e.Kind is "blade.restart" or "blade.restarted");
            times.FromTimeline(events, restart?.Id ?? chosen.Id, ("dhcp.ack", "DHCP ack after restart"), ("dhcp.proxy-offer", "proxyDHCP offer after restart"),
                ("boot.sanboot", "sanboot script served"), ("blade.iscsi-login", "iSCSI login seen on its target"));
            // What the clone and its personalisation took, as the job recorded them.
            times.Report(chassis.Lab.Repository, events.Where(e => e.Id > chosen.Id && e.Kind is "volume.cloned" or "volume.personalised").Select(e => $"{e.Kind}: {e.Summary}"));
            var choiceToMarker = times.Between("menu choice (key press)", "OS marker (serial console)");
            TestContext.Current.TestOutputHelper?.WriteLine($"Menu choice to OS marker: {choiceToMarker.TotalSeconds:0.0} s; sanboot served at {sanboot.At:HH:mm:ss.fff}");

            var volume = (await api.ListAsync($"/api/volumes?bladeId={bladeId}", ct)).Single(v => (string?)v!["state"] == "Exported")!;
            var bladeRow = await api.GetAsync($"/api/blades/{bladeId}", ct) ?? throw new InvalidOperationException("blade vanished");
            if (marker is not null)
            {
                Assert.Equal(os.Image, marker.Image);
                Assert.Equal((string?)volume["targetIqn"], marker.Target);
                Assert.Equal((string?)bladeRow["initiatorIqn"], marker.Initiator);
                if (hostnameFromAppliance)
                {
                    Assert.Equal((string?)bladeRow["hostname"], marker.Host);
                }
            }

            // Active while its OS holds its disk: the login seen on its target made the blade Active. A test donor powers
            // off right after its marker, and its logout makes the blade Provisioned again, so now it may be either.
            Assert.Contains(events, e => e.Id > sanboot.Id && e.Kind == "blade.state" && e.Summary.Contains("→ Active", StringComparison.Ordinal));
            Assert.Contains((string?)bladeRow["state"], new[] { "Active", "Provisioned" });
            // The clone is this blade's own machine: its host name, a machine-id, and a root filesystem that fills the LUN
            // (from where the root partition starts; ext4's own metadata takes a few percent).
            var identity = OsIdentity.Last(blade.ReadSerial(serialOffset));
            Assert.Equal(os.Image, identity.Image);
            Assert.Equal((string?)bladeRow["hostname"] ?? $"blade-{bladeId}", identity.Hostname);
            Assert.Matches("^[0-9a-f]{32}$", identity.MachineId);
            Assert.Equal(os.RootFs, identity.RootFs);
            var rootPartition = (long)volume["sizeBytes"]! - os.RootOffsetBytes;
            Assert.InRange(identity.RootBytes, rootPartition * 9 / 10, rootPartition);
            return new ProvisionedBlade(blade, bladeId, volume, marker, identity);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            var events = await api.TimelineAsync(bladeId, ct);
            throw new InvalidOperationException(
                $"{ex.Message}\nBlade {blade.Name} timeline:\n{string.Join('\n', events.TakeLast(30).Select(e => $"  {e.At:HH:mm:ss.fff} {e.Kind} {e.Summary}"))}\n" +
                $"Appliance warnings:\n{chassis.ApplianceLogTail()}", ex);
        }
    }

    /// <summary>Stages before the choice: DHCP, TFTP (UEFI firmware PXE), the entry script, identity, menu.</summary>
    public static void AddBootStages(StageTimes times, IReadOnlyList<TimelineEvent> events, long afterId) =>
        times.FromTimeline(events, afterId, ("dhcp.offer", "DHCP offer"), ("dhcp.ack", "DHCP ack"), ("dhcp.proxy-offer", "proxyDHCP offer"),
            ("dhcp.proxy-ack", "proxyDHCP ack (port 4011)"), ("tftp.transfer", "TFTP iPXE binary sent"),
            ("boot.entry", "boot script (entry)"), ("boot.identify", "blade identified"), ("boot.menu", "menu served"));

    /// <summary>Looks at the console like the operator: BIOS iPXE draws on VGA only; UEFI iPXE also writes the serial port.</summary>
    private static async Task<long> SeeMenuAsync(ApplianceApi api, VirtualBlade blade, long bladeId, long afterEventId, long serialOffset, DonorOs os, CancellationToken ct)
    {
        var menu = new Regex(Regex.Escape(os.MenuName) + @" v\d");
        if (blade.Firmware == "bios")
        {
            await blade.WaitScreenAsync(menu, TimeSpan.FromSeconds(60), ct);
        }
        else
        {
            await blade.WaitSerialAsync(menu, serialOffset, TimeSpan.FromSeconds(60), ct);
            await Task.Delay(1000, ct); // the menu is drawn after its items are printed
        }

        return (await api.TimelineAsync(bladeId, ct)).Where(e => e.Id > afterEventId && e.Kind == "boot.menu").Max(e => e.Id);
    }

    /// <summary>
    /// The image is the last one in the menu; the operator presses its digit, which chooses it wherever the cursor is.
    /// Pressed again if a menu refresh ate the key.
    /// </summary>
    private static async Task<TimelineEvent> PressAsync(ChassisFixture chassis, VirtualBlade blade, long bladeId, long menuEventId, long serialOffset, DonorOs os, StageTimes times, CancellationToken ct)
    {
        var menu = await chassis.Api.TextAsync($"/api/boot/preview?mac={Uri.EscapeDataString(blade.Mac)}&platform={(blade.Firmware == "bios" ? "Bios" : "Uefi")}", ct);
        var key = ImageKey().Matches(menu).Select(m => m.Groups["key"].Value).LastOrDefault()
            ?? throw new InvalidOperationException($"the menu has no image with a key:\n{menu}");
        for (int attempt = 1; ; attempt++)
        {
            await QmpClient.SendKeysAsync(blade.Qmp, [key], ct);
            times.Mark("menu choice (key press)", DateTimeOffset.UtcNow);
            try
            {
                return await chassis.Api.WaitForEventAsync(bladeId, "boot.chosen", menuEventId, TimeSpan.FromSeconds(20), ct);
            }
            catch (TimeoutException) when (attempt < 3)
            {
                menuEventId = await SeeMenuAsync(chassis.Api, blade, bladeId, menuEventId - 1, serialOffset, os, ct);
            }
        }
    }

    private static async Task CaptureAsync(VirtualBlade blade, string path, CancellationToken ct)
    {
        try
        {
            await QmpClient.ScreendumpPngAsync(blade.Qmp, path, ct);
        }
        catch (IOException ex)
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"screendump {path} failed: {ex.Message}");
        }
    }

    [GeneratedRegex(@"^item --key (?<key>[1-9]) img-", RegexOptions.Multiline)]
    private static partial Regex ImageKey();

    [GeneratedRegex("preparing|Restarting|ready")]
    private static partial Regex PreparingPattern();
}
