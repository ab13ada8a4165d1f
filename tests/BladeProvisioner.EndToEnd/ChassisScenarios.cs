using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace BladeProvisioner.EndToEnd;

/// <summary>
/// The end-to-end proof on the virtual chassis: QEMU blades PXE-boot from the appliance, an operator picks an image in
/// the menu, the appliance clones and exports it, and the blade boots its OS from its own iSCSI LUN with CHAP. One lab,
/// one appliance, one donor for all scenarios; they run one after another (TCG boots share two cores).
/// </summary>
public sealed partial class ChassisScenarios(ChassisFixture chassis) : IClassFixture<ChassisFixture>
{
    private static readonly SemaphoreSlim SharedLock = new(1, 1);

    [Fact]
    public async Task Scenario1_BiosBlade_OperatorChoosesImageInMenu_BootsOsFromItsIscsiLunWithChap()
    {
        chassis.RequireUp();
        var ct = TestContext.Current.CancellationToken;
        var provisioned = await SharedAsync("bios", () => MenuFlow.NewBladeAsync(chassis, "e2e-bios", "bios", "test-donor-v2", CancellationToken.None));

        Assert.Equal("test-donor-v2", provisioned.Marker.Image);
        Assert.StartsWith("iqn.", provisioned.Marker.Target, StringComparison.Ordinal);
        var target = await TargetAsync((string)provisioned.Volume["targetIqn"]!, ct);
        Assert.Contains((string)provisioned.Volume["chapUser"]!, target, StringComparison.Ordinal);   // CHAP account bound
        Assert.Contains(provisioned.Marker.Initiator, target, StringComparison.Ordinal);              // ACL: this blade only
    }

    [Fact]
    public async Task Scenario2_UefiBlade_FirmwarePxeFetchesIpxeEfiOverTftp_ThenMenuCloneAndOsFromLun()
    {
        chassis.RequireUp();
        var ct = TestContext.Current.CancellationToken;
        var provisioned = await SharedAsync("uefi", () => MenuFlow.NewBladeAsync(chassis, "e2e-uefi", "uefi", "test-donor-v2", CancellationToken.None));

        var timeline = await chassis.Api.TimelineAsync(provisioned.Id, ct);
        Assert.Contains(timeline, e => e.Kind == "tftp.transfer" && e.Summary.Contains("ipxe.efi", StringComparison.Ordinal));
        Assert.Equal("test-donor-v2", provisioned.Marker.Image);
    }

    [Fact]
    public async Task Scenario3_TwoBladesFromOneDonorAtOnce_GetTheirOwnIdentities_AndCannotReachEachOthersLun()
    {
        chassis.RequireUp();
        var ct = TestContext.Current.CancellationToken;
        var both = await Task.WhenAll(
            MenuFlow.NewBladeAsync(chassis, "e2e-pair-a", "bios", "test-donor-v2", ct),
            MenuFlow.NewBladeAsync(chassis, "e2e-pair-b", "bios", "test-donor-v2", ct));
        var (a, b) = (both[0], both[1]);

        Assert.Equal((long)a.Volume["donorImageId"]!, (long)b.Volume["donorImageId"]!);
        Assert.NotEqual(a.Marker.Target, b.Marker.Target);
        Assert.NotEqual(a.Marker.Initiator, b.Marker.Initiator);
        Assert.NotEqual(a.Marker.Host, b.Marker.Host);
        Assert.NotEqual((string)a.Volume["scsiSerial"]!, (string)b.Volume["scsiSerial"]!);
        Assert.NotEqual((string)a.Volume["wwn"]!, (string)b.Volume["wwn"]!);
        Assert.NotEqual((string)a.Volume["chapUser"]!, (string)b.Volume["chapUser"]!);
        var diskA = DiskIdentity((string)a.Volume["backingPath"]!);
        var diskB = DiskIdentity((string)b.Volume["backingPath"]!);
        Assert.NotEqual(diskA, diskB);   // MBR disk signature / GPT disk GUID rewritten per clone

        // Inside each OS: its own machine-id and SSH host key (neither the donor's baked-in ones nor the other blade's),
        // its own host name, and a root filesystem grown into its 512 MiB LUN from the donor's 159 MiB.
        var donor = DonorIdentity();
        Assert.NotEqual(a.Identity.MachineId, b.Identity.MachineId);
        Assert.DoesNotContain(donor.MachineId, new[] { a.Identity.MachineId, b.Identity.MachineId });
        Assert.NotEqual(a.Identity.Ssh, b.Identity.Ssh);
        Assert.DoesNotContain(donor.Ssh, new[] { a.Identity.Ssh, b.Identity.Ssh });
        Assert.StartsWith("SHA256:", a.Identity.Ssh, StringComparison.Ordinal);
        Assert.NotEqual(a.Identity.Hostname, b.Identity.Hostname);
        Assert.All(new[] { a, b }, x => Assert.True(x.Identity.RootBytes > 2 * donor.RootBytes, $"root {x.Identity.RootBytes} bytes, donor's {donor.RootBytes}"));
        var timeline = await chassis.Api.TimelineAsync(a.Id, ct);
        Assert.Contains(timeline, e => e.Kind == "volume.personalised" && e.Summary.Contains(a.Identity.MachineId, StringComparison.Ordinal)
            && e.Summary.Contains(a.Identity.Ssh, StringComparison.Ordinal));

        // Each target admits only its own blade: its ACL names that blade's initiator and its CHAP account, no other.
        foreach (var (mine, other) in new[] { (a, b), (b, a) })
        {
            var target = await TargetAsync(mine.Marker.Target, ct);
            Assert.Contains(mine.Marker.Initiator, target, StringComparison.Ordinal);
            Assert.DoesNotContain(other.Marker.Initiator, target, StringComparison.Ordinal);
            Assert.Contains((string)mine.Volume["chapUser"]!, target, StringComparison.Ordinal);
            Assert.DoesNotContain((string)other.Volume["chapUser"]!, target, StringComparison.Ordinal);

            // A real login as the other blade's initiator is refused.
            var login = await chassis.Lab.ExecAsync("iscsi-inq", ["-i", other.Marker.Initiator, $"iscsi://{chassis.Lab.Server}/{mine.Marker.Target}/1"], ct);
            Assert.True(login.ExitCode != 0, $"{other.Marker.Initiator} logged in to {mine.Marker.Target}: {login.StandardOutput}");
        }
    }

    [Fact]
    public async Task Scenario4_ProvisionedBladePowerCycledThroughIpmi_BootsStraightToItsLun_NoMenu()
    {
        chassis.RequireUp();
        var ct = TestContext.Current.CancellationToken;
        var provisioned = await SharedAsync("bios", () => MenuFlow.NewBladeAsync(chassis, "e2e-bios", "bios", "test-donor-v2", CancellationToken.None));
        var blade = provisioned.Blade;

        // The admin gives the appliance the blade's BMC; the test donor powers itself off after its marker.
        await chassis.Api.SendAsync(HttpMethod.Patch, $"/api/blades/{provisioned.Id}", new JsonObject
        {
            ["powerDriver"] = "Ipmi",
            ["bmcAddress"] = blade.BmcAddress,
            ["bmcUsername"] = blade.BmcUser,
            ["bmcPassword"] = blade.BmcPassword,
        }, ct);
        await WaitPoweredOffAsync(blade, ct);
        var before = (await chassis.Api.TimelineAsync(provisioned.Id, ct)).Max(e => e.Id);
        var offset = blade.SerialOffset;

        var powerOn = DateTimeOffset.UtcNow;
        await chassis.Api.SendAsync(HttpMethod.Post, $"/api/blades/{provisioned.Id}/restart", null, ct);
        var line = await blade.WaitSerialAsync(OsMarker.Any, offset, TimeSpan.FromMinutes(3), ct, wholeLine: true);
        var marker = OsMarker.Parse(line);
        var times = new StageTimes($"blade {blade.Name}: IPMI power-on of a provisioned blade to OS marker", powerOn);
        times.Mark("OS marker (serial console)", DateTimeOffset.UtcNow);
        var events = await chassis.Api.TimelineAsync(provisioned.Id, ct);
        times.FromTimeline(events, before, ("blade.restarted", "IPMI power on (appliance API)"));
        MenuFlow.AddBootStages(times, events, before);
        times.FromTimeline(events, before, ("boot.sanboot", "sanboot script served"));
        times.Report(chassis.Lab.Repository);

        Assert.Equal(provisioned.Marker, marker);
        var after = events.Where(e => e.Id > before).ToList();
        Assert.Contains(after, e => e.Kind == "blade.restarted" && e.Summary.Contains("IPMI", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(after, e => e.Kind == "boot.sanboot");
        Assert.DoesNotContain(after, e => e.Kind == "boot.menu");
    }

    [Fact]
    public async Task Scenario5_Decommission_ThenReprovisionWithAnotherImageVersion()
    {
        chassis.RequireUp();
        var ct = TestContext.Current.CancellationToken;
        var provisioned = await SharedAsync("uefi", () => MenuFlow.NewBladeAsync(chassis, "e2e-uefi", "uefi", "test-donor-v2", CancellationToken.None));
        var blade = provisioned.Blade;
        var oldTarget = provisioned.Marker.Target;
        var oldFile = (string)provisioned.Volume["backingPath"]!;
        await WaitPoweredOffAsync(blade, ct);

        var job = await chassis.Api.SendAsync(HttpMethod.Post, $"/api/blades/{provisioned.Id}/decommission", null, ct);
        await chassis.Api.WaitForJobAsync((long)job!["id"]!, TimeSpan.FromMinutes(2), ct);
        var row = await chassis.Api.GetAsync($"/api/blades/{provisioned.Id}", ct);
        Assert.Equal("Discovered", (string?)row!["state"]);
        Assert.DoesNotContain(await chassis.Api.ListAsync($"/api/volumes?bladeId={provisioned.Id}", ct), v => (string?)v!["state"] != "Deleting");
        Assert.False(File.Exists(oldFile), $"volume file {oldFile} is still there after decommission");
        // The whole name, as tgtadm prints it: blade.1 must not match blade.10.
        Assert.DoesNotContain(": " + oldTarget + "\n", await TargetsAsync(ct), StringComparison.Ordinal);

        // An admin offers version 1 only; the operator powers the blade on and picks it in the menu.
        await chassis.OfferOnlyAsync(chassis.ImageV1, ct);
        try
        {
            var before = (await chassis.Api.TimelineAsync(provisioned.Id, ct)).Max(e => e.Id);
            var offset = blade.SerialOffset;
            var powerOn = DateTimeOffset.UtcNow;
            await chassis.Lab.IpmiAsync(blade, ct, "power", "on");
            var again = await MenuFlow.ChooseAndBootAsync(chassis, blade, provisioned.Id, powerOn, before, offset, "test-donor-v1", ct);
            Assert.Equal(chassis.ImageV1, (long)again.Volume["donorImageId"]!);
            Assert.NotEqual((string)provisioned.Volume["scsiSerial"]!, (string)again.Volume["scsiSerial"]!);
        }
        finally
        {
            await chassis.SetImageStateAsync(chassis.ImageV2, "Active", CancellationToken.None);
        }
    }

    /// <summary>
    /// A blade whose OS runs from its LUN and writes to its root filesystem (the writer donor: 4 KiB + fsync every
    /// second, each reported on the serial console) while the appliance is stopped with SIGTERM and left down for
    /// longer than an initiator waits for a lost session by default (open-iscsi's 120 s replacement timeout does not
    /// even start: the session is never lost), started again, then killed with SIGKILL and started again. The OS's own
    /// initiator, on its own: no write fails, the kernel logs no I/O error, no write stalls for 10 s.
    /// </summary>
    [Fact]
    public async Task Scenario6_RunningBladeOsKeepsWritingItsRootFilesystemWhileTheApplianceIsStoppedAndKilled()
    {
        chassis.RequireUp();
        var ct = TestContext.Current.CancellationToken;
        var writer = long.Parse((await chassis.Lab.RunAsync(TimeSpan.FromMinutes(3), ct, "donor", "3", "--after", "write"))["image"], CultureInfo.InvariantCulture);
        VirtualBlade? blade = null;
        try
        {
            foreach (var id in new[] { chassis.ImageV1, chassis.ImageV2 })
            {
                await chassis.SetImageStateAsync(id, "Paused", ct);
            }

            await chassis.SetImageStateAsync(writer, "Active", ct);
            var provisioned = await MenuFlow.NewBladeAsync(chassis, "e2e-writer", "bios", "test-donor-v3", ct);
            blade = provisioned.Blade;
            var up = await WritesAsync(blade, 5, ct);

            await chassis.Lab.RunAsync(TimeSpan.FromMinutes(5), ct, "restart", "--down", "150");
            var afterStop = await WritesAsync(blade, up.Count + 5, ct);
            await chassis.Lab.RunAsync(TimeSpan.FromMinutes(5), ct, "restart", "--kill", "--down", "10");
            var afterKill = await WritesAsync(blade, afterStop.Count + 5, ct);

            var serial = blade.ReadSerial(0);
            var longest = afterKill.Max();
            TestContext.Current.TestOutputHelper?.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"writer blade: {afterKill.Count} synced writes; {afterStop.Count - up.Count} through SIGTERM + 150 s down, {afterKill.Count - afterStop.Count} through SIGKILL + 10 s down; longest {longest} ms"));
            Assert.DoesNotContain("BLADEPROVISIONER-WRITE-FAIL", serial, StringComparison.Ordinal);
            Assert.DoesNotMatch(KernelIoError(), serial);
            Assert.True(afterStop.Count - up.Count >= 100, $"only {afterStop.Count - up.Count} writes while the appliance was down for 150 s");
            Assert.True(longest < 10_000, $"a write took {longest} ms");
        }
        finally
        {
            if (blade is not null)
            {
                await chassis.Lab.IpmiAsync(blade, CancellationToken.None, "power", "off");
            }

            await chassis.SetImageStateAsync(writer, "Paused", CancellationToken.None);
            foreach (var id in new[] { chassis.ImageV1, chassis.ImageV2 })
            {
                await chassis.SetImageStateAsync(id, "Active", CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// A real Debian 12 server image (initramfs-tools + open-iscsi ISCSI_AUTO, systemd, cloud-init, GPT with BIOS boot
    /// partition, ESP and ext4 root, GRUB for BIOS and UEFI) with a baked-in machine-id, SSH host keys and host name, as a
    /// donor captured from a server in use carries. A BIOS and a UEFI blade pick it in the menu at the same time; each gets
    /// a 4 GiB LUN from the 2 GiB donor. Inside each OS (its serial console): its own machine-id and SSH host key, its
    /// blade host name, a root filesystem of about 4 GiB on the iSCSI disk. The image tells the OS to reboot once from
    /// inside: it comes back to the same OS from its LUN, then shuts down with its root on iSCSI, and the blade powers off.
    /// </summary>
    [Fact]
    public async Task Scenario7_Debian12_BiosAndUefiBladesAtOnce_EachItsOwnMachineOnA4GiBLun_RebootAndShutdownFromInsideTheOs()
    {
        chassis.RequireUp();
        var ct = TestContext.Current.CancellationToken;
        var image = await ImportDebianAsync("debian-12", "reboot", ct);
        await chassis.OfferOnlyAsync(image, ct);
        try
        {
            var os = DonorOs.Debian("debian-12");
            var both = await Task.WhenAll(
                MenuFlow.NewBladeAsync(chassis, "e2e-deb-bios", "bios", os, ct),
                MenuFlow.NewBladeAsync(chassis, "e2e-deb-uefi", "uefi", os, ct));
            await AssertOwnMachinesAsync(both, DonorIdentity("debian-12"), ct);

            // The OS reboots itself once: back through the firmware, DHCP and iPXE, straight to sanboot (no menu), the same
            // disk (same machine-id and host key), then it powers off with its root on iSCSI: the shutdown completes.
            await Task.WhenAll(both.Select(async b =>
            {
                var boots = await IdentityLinesAsync(b.Blade, 2, os.OsTimeout, ct);
                Assert.Equal(2, boots.Count);
                // The same machine on the same disk; only the kernel's name for that disk may differ between boots (the seed,
                // LUN 2, and the root, LUN 1, are probed in parallel: the root is sda3 in one boot and sdb3 in the next).
                Assert.Equal(boots[0] with { RootDevice = "-" }, boots[1] with { RootDevice = "-" });
                Assert.All(boots, i => Assert.Matches("^/dev/sd[a-z]3$", i.RootDevice));
                await WaitPoweredOffAsync(b.Blade, ct, TimeSpan.FromMinutes(4));
                Assert.DoesNotMatch(OsDiskError(), b.Blade.ReadSerial(0));   // the root disk never failed, not even at shutdown
                // The first boot's first login follows its sanboot; by now the OS may long have rebooted, so the split is
                // made on the whole timeline, not on what the timeline held when the first boot was seen.
                var timeline = await chassis.Api.TimelineAsync(b.Id, ct);
                var firstLogin = timeline.Where(e => e.Kind == "blade.iscsi-login").Min(e => e.Id);
                var after = timeline.Where(e => e.Id > firstLogin).ToList();
                Assert.Contains(after, e => e.Kind == "boot.sanboot");
                Assert.Contains(after, e => e.Kind == "blade.iscsi-login");
                Assert.DoesNotContain(after, e => e.Kind == "boot.menu");

                // The image has cloud-init: the clone got its NoCloud seed as the target's LUN 2, the OS's cloud-init read
                // it and phoned home on its first boot (once per instance), with the host keys the appliance made for it.
                Assert.Contains(timeline, e => e.Kind == "volume.seeded");
                var osUp = Assert.Single(timeline, e => e.Kind == "blade.os-up");
                Assert.Contains($"cloud-init of {b.Identity.Hostname} phoned home", osUp.Summary, StringComparison.Ordinal);
                Assert.Contains("host keys match the clone's", osUp.Summary, StringComparison.Ordinal);
                Assert.True(osUp.Id < timeline.Where(e => e.Kind == "boot.sanboot").Max(e => e.Id), "OS up came after the reboot");
                var restart = timeline.First(e => e.Kind is "blade.restart" or "blade.restarted");
                var sanboot = timeline.First(e => e.Kind == "boot.sanboot" && e.Id > restart.Id);
                TestContext.Current.TestOutputHelper?.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"blade {b.Blade.Name}: OS up (cloud-init phone-home) {(osUp.At - sanboot.At).TotalSeconds:0.0} s after its sanboot script, {(osUp.At - restart.At).TotalSeconds:0.0} s after the restart into it"));
            }));
        }
        finally
        {
            await chassis.OfferOnlyAsync(chassis.ImageV1, CancellationToken.None, chassis.ImageV2);
        }
    }

    /// <summary>
    /// The RHEL/Rocky/Alma way on Debian: dracut with its iscsi module, <c>rd.iscsi.firmware=1</c>, and the root named by
    /// <c>root=PARTUUID=</c> in GRUB's config and fstab, no cloud-init, so the appliance's offline personalisation does all
    /// the work. The image's disk-id policy (Auto) sees the PARTUUID references and keeps the partition ids, so both blades
    /// (BIOS and UEFI, at once) find their root; each is still its own machine; each shuts down and powers off.
    /// </summary>
    [Fact]
    public async Task Scenario8_DracutDonorRootedByPartuuid_BootsOnBiosAndUefiBladesAtOnce_IdsKept_EachItsOwnMachine()
    {
        chassis.RequireUp();
        var ct = TestContext.Current.CancellationToken;
        var image = await ImportDebianAsync("debian-12-dracut", "poweroff", ct);
        await chassis.OfferOnlyAsync(image, ct);
        try
        {
            var both = await Task.WhenAll(
                MenuFlow.NewBladeAsync(chassis, "e2e-dracut-bios", "bios", DonorOs.Debian("debian-12-dracut"), ct),
                MenuFlow.NewBladeAsync(chassis, "e2e-dracut-uefi", "uefi", DonorOs.Debian("debian-12-dracut"), ct));
            await AssertOwnMachinesAsync(both, DonorIdentity("debian-12-dracut"), ct);

            var donorRoot = RootPartitionUuid(DebianDonorPath("debian-12-dracut"));
            foreach (var b in both)
            {
                Assert.Equal(donorRoot, RootPartitionUuid((string)b.Volume["backingPath"]!));   // what root=PARTUUID= names
                var timeline = await chassis.Api.TimelineAsync(b.Id, ct);
                var cloned = timeline.Single(e => e.Kind == "volume.cloned");
                Assert.Contains("kept", cloned.Summary, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain(timeline, e => e.Kind == "volume.seeded");   // no cloud-init in this image: no seed LUN
                await WaitPoweredOffAsync(b.Blade, ct, TimeSpan.FromMinutes(4));
                Assert.DoesNotMatch(OsDiskError(), b.Blade.ReadSerial(0));
            }
        }
        finally
        {
            await chassis.OfferOnlyAsync(chassis.ImageV1, CancellationToken.None, chassis.ImageV2);
        }
    }

    /// <summary>Two blades cloned from one donor at once: different machines, neither the donor, each with its own name and root.</summary>
    private async Task AssertOwnMachinesAsync(ProvisionedBlade[] both, OsIdentity donor, CancellationToken ct)
    {
        var (a, b) = (both[0], both[1]);
        Assert.NotEqual(a.Identity.MachineId, b.Identity.MachineId);
        Assert.DoesNotContain(donor.MachineId, new[] { a.Identity.MachineId, b.Identity.MachineId });
        Assert.StartsWith("SHA256:", a.Identity.Ssh, StringComparison.Ordinal);
        Assert.NotEqual(a.Identity.Ssh, b.Identity.Ssh);
        Assert.DoesNotContain(donor.Ssh, new[] { a.Identity.Ssh, b.Identity.Ssh });
        Assert.NotEqual(a.Identity.Hostname, b.Identity.Hostname);
        Assert.DoesNotContain(donor.Hostname, new[] { a.Identity.Hostname, b.Identity.Hostname });
        foreach (var x in both)
        {
            // The root is partition 3 of a SCSI disk: the blade has no disk but its iSCSI LUN.
            Assert.Matches("^/dev/sd[a-z]3$", x.Identity.RootDevice);
            Assert.Equal(4L << 30, (long)x.Volume["sizeBytes"]!);
            Assert.True(x.Identity.RootBytes > 2 * donor.RootBytes * 9 / 10, $"blade {x.Blade.Name}: root {x.Identity.RootBytes} bytes, the donor's {donor.RootBytes}");
            var timeline = await chassis.Api.TimelineAsync(x.Id, ct);
            Assert.Contains(timeline, e => e.Kind == "volume.personalised" && e.Summary.Contains(x.Identity.MachineId, StringComparison.Ordinal)
                && e.Summary.Contains(x.Identity.Ssh, StringComparison.Ordinal));
        }
    }

    /// <summary>The OS's identity lines since the blade started, once there are <paramref name="count"/> complete ones.</summary>
    private static async Task<List<OsIdentity>> IdentityLinesAsync(VirtualBlade blade, int count, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var serial = blade.ReadSerial(0);
            var complete = serial[..(serial.LastIndexOf('\n') + 1)];
            var lines = OsIdentity.All(complete);
            if (lines.Count >= count)
            {
                return lines;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"blade {blade.Name}: {lines.Count} of {count} identity lines within {timeout.TotalMinutes:0} min. Serial tail:\n{(serial.Length > 2000 ? serial[^2000..] : serial)}");
            }

            await Task.Delay(500, ct);
        }
    }

    private async Task<long> ImportDebianAsync(string variant, string after, CancellationToken ct) =>
        long.Parse((await chassis.Lab.RunAsync(TimeSpan.FromMinutes(20), ct, "debian", variant, "--after", after))["image"], CultureInfo.InvariantCulture);

    private string DebianDonorPath(string variant) =>
        Run(Path.Combine(chassis.Lab.Repository, "images", "build-debian-donor.sh"), "--variant", variant).Trim();

    /// <summary>The GPT unique GUID of partition 3 (the root of the Debian donors), as sfdisk prints it.</summary>
    private static string RootPartitionUuid(string disk)
    {
        var table = JsonNode.Parse(Run("/usr/sbin/sfdisk", "--json", disk))!["partitiontable"]!["partitions"]!.AsArray();
        return ((string)table[2]!["uuid"]!).ToUpperInvariant();
    }

    /// <summary>The writer's reported write times (ms), once at least <paramref name="count"/> writes are on the console.</summary>
    private static async Task<List<int>> WritesAsync(VirtualBlade blade, int count, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(count + 60);
        while (true)
        {
            var writes = WriterLine().Matches(blade.ReadSerial(0)).Select(m => int.Parse(m.Groups["ms"].Value, CultureInfo.InvariantCulture)).ToList();
            if (writes.Count >= count)
            {
                return writes;
            }

            if (DateTime.UtcNow > deadline)
            {
                var serial = blade.ReadSerial(0);
                throw new TimeoutException($"blade {blade.Name}: {writes.Count} of {count} writes. Serial tail:\n{(serial.Length > 1500 ? serial[^1500..] : serial)}");
            }

            await Task.Delay(500, ct);
        }
    }

    /// <summary>A provisioning shared by two scenarios runs once, whichever scenario comes first.</summary>
    private async Task<ProvisionedBlade> SharedAsync(string key, Func<Task<ProvisionedBlade>> provision)
    {
        Task<ProvisionedBlade> task;
        await SharedLock.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (!chassis.Shared.TryGetValue(key, out task!))
            {
                task = provision();
                chassis.Shared[key] = task;
            }
        }
        finally
        {
            SharedLock.Release();
        }

        return await task;
    }

    private async Task WaitPoweredOffAsync(VirtualBlade blade, CancellationToken ct, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var info = await chassis.Lab.RunAsync(TimeSpan.FromSeconds(30), ct, "info", blade.Name);
            if (info.GetValueOrDefault("power") == "off")
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"blade {blade.Name} did not power off after its OS marker");
            await Task.Delay(250, ct);
        }
    }

    private async Task<string> TargetsAsync(CancellationToken ct)
    {
        var show = await chassis.Lab.ExecAsync("tgtadm", ["-C", chassis.Lab.TgtControlPort.ToString(CultureInfo.InvariantCulture), "--lld", "iscsi", "--op", "show", "--mode", "target"], ct);
        Assert.True(show.ExitCode == 0, "tgtadm show failed: " + show.StandardError);
        return show.StandardOutput;
    }

    /// <summary>tgtadm's description of one target (from its "Target N: iqn" line to the next target).</summary>
    private async Task<string> TargetAsync(string iqn, CancellationToken ct)
    {
        var all = await TargetsAsync(ct);
        var start = all.IndexOf(": " + iqn + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"target {iqn} is not exported by tgtd:\n{all}");
        var next = TargetLine().Match(all, start + iqn.Length);
        return next.Success ? all[start..next.Index] : all[start..];
    }

    /// <summary>What the donor (test-donor-v2, from the build cache) carries baked in, read with e2fsprogs from its root partition.</summary>
    private OsIdentity DonorIdentity() =>
        DonorIdentity(Run(Path.Combine(chassis.Lab.Repository, "images", "build-test-donor.sh"), "--version", "2").Trim(), (2048 + 196608) * 512L, "test-donor-v2");

    /// <summary>What a Debian donor (from the build cache) carries baked in: its root is partition 3, 128 MiB in.</summary>
    private OsIdentity DonorIdentity(string variant) => DonorIdentity(DebianDonorPath(variant), 128L << 20, variant);

    private static OsIdentity DonorIdentity(string image, long rootOffset, string label)
    {
        var root = $"{image}?offset={rootOffset}";
        var machineId = Run("/usr/sbin/debugfs", "-R", "cat /etc/machine-id", root).Trim();
        var hostname = Run("/usr/sbin/debugfs", "-R", "cat /etc/hostname", root).Trim();
        var publicKey = Run("/usr/sbin/debugfs", "-R", "cat /etc/ssh/ssh_host_ed25519_key.pub", root);
        var blob = Convert.FromBase64String(publicKey.Split(' ')[1]);
        var ssh = "SHA256:" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(blob)).TrimEnd('=');
        var header = Run("/usr/sbin/dumpe2fs", "-h", root);
        long Field(string name) => long.Parse(Regex.Match(header, $@"^{name}:\s+(\d+)", RegexOptions.Multiline).Groups[1].Value, CultureInfo.InvariantCulture);
        return new OsIdentity(machineId, hostname, ssh, "-", Field("Block count") * Field("Block size"), "ext4", label);
    }

    private static string Run(string program, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = System.Diagnostics.Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), $"{program} did not finish");
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)}: {stderr.Result}");
        return stdout.Result;
    }

    /// <summary>MBR disk signature (bytes 440-443) and the GPT disk GUID if present: what identifies the disk to the OS.</summary>
    private static string DiskIdentity(string path)
    {
        using var file = File.OpenRead(path);
        var head = new byte[1024];
        file.ReadExactly(head);
        var mbr = Convert.ToHexString(head.AsSpan(440, 4));
        var gpt = head.AsSpan(512, 8).SequenceEqual("EFI PART"u8) ? Convert.ToHexString(head.AsSpan(512 + 56, 16)) : "-";
        return mbr + "/" + gpt;
    }

    [GeneratedRegex(@"^Target \d+: ", RegexOptions.Multiline)]
    private static partial Regex TargetLine();

    [GeneratedRegex(@"^BLADEPROVISIONER-WRITE n=\d+ ms=(?<ms>\d+)\r?$", RegexOptions.Multiline)]
    private static partial Regex WriterLine();

    /// <summary>
    /// What a real OS's kernel logs when its root disk fails. (Not a reconnect: when iscsid takes over the initramfs's
    /// session on a second boot, the target may drop the connection once and the kernel logs in again within seconds.)
    /// </summary>
    [GeneratedRegex(@"I/O error|EXT4-fs error|Remounting filesystem read-only|session recovery timed out")]
    private static partial Regex OsDiskError();

    [GeneratedRegex(@"I/O error|EXT4-fs error|Remounting filesystem read-only|connection\d+:\d+: detected conn error")]
    private static partial Regex KernelIoError();
}
