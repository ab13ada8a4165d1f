using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>
/// A short boot storm on the wire (tests/bench/storm's driver, as in the benchmark): 20 synthetic blades power on
/// within one second in a chassis namespace, each with its own MAC, SMBIOS UUID and leased address, and each holds the
/// whole conversation against the appliance's own DHCP, TFTP, HTTP, clone jobs and tgtd: PXE DHCP, TFTP of its iPXE
/// binary (blksize + windowsize), DHCP as iPXE, menu, choice, progress, reboot, the second boot to its sanboot script,
/// the iSCSI login with its CHAP and a read of the first 8 MiB of its LUN. None may fail, and every blade reads the
/// donor's bytes after sector 0 (sector 0 is personalised: each clone's own MBR identifier). No time is asserted.
/// tests/bench/storm/bench.sh runs the same storm with more blades (BP_STORM_BLADES, BP_STORM_JSON).
/// </summary>
public sealed class BootStormTests(PostgresServer postgres)
{
    private const int Subnet = 40;
    private static readonly int Blades = int.TryParse(Environment.GetEnvironmentVariable("BP_STORM_BLADES"), out var n) && n is > 0 and <= 700 ? n : 20;
    private const long ReadBytes = 8 << 20;

    [Fact]
    public async Task BladesBootingAtOnceAllReadTheDonorFromTheirOwnLuns()
    {
        Prerequisites.RequireProgram("/usr/sbin/sfdisk");
        Prerequisites.RequireProgram("/usr/bin/iscsi-inq"); // libiscsi-bin brings libiscsi.so.7
        Assert.True(File.Exists("/usr/lib/ipxe/undionly.kpxe"), "the ipxe package's binaries are needed for TFTP");
        var ct = TestContext.Current.CancellationToken;
        using var network = TestNetwork.Create("bpstorm1", Subnet, prefixLength: 22);
        var port = ApplianceProcess.FreeTcpPort();
        await using var factory = new ApplianceFactory(await postgres.CreateEmptyDatabaseAsync("storm"), new Dictionary<string, string>
        {
            ["Dhcp:Enabled"] = "true",
            ["Dhcp:Interfaces:0:Name"] = network.HostInterface,
            ["Dhcp:Scopes:0:Name"] = "storm",
            ["Dhcp:Scopes:0:Subnet"] = $"10.99.{Subnet}.0/22",
            ["Dhcp:Scopes:0:Ranges:0"] = $"10.99.{Subnet + 1}.0-10.99.{Subnet + 3}.254",
            ["Dhcp:Scopes:0:LeaseTime"] = "01:00:00",
            ["Tftp:Enabled"] = "true",
            ["Tftp:Interfaces:0"] = network.HostInterface,
            ["Boot:HttpPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Targets:PortalAddress"] = network.HostAddress, // the blades log in from the chassis, not from loopback
        });
        factory.UseKestrel(o =>
        {
            o.ListenLocalhost(port);
            o.Listen(IPAddress.Parse(network.HostAddress), port);
        });
        factory.StartServer();
        await factory.Services.WaitReadyAsync(ct);
        using var api = factory.CreateClient();
        var donorStart = await ImportPatternedDonorAsync(api, factory, ct);

        var json = Environment.GetEnvironmentVariable("BP_STORM_JSON") is { Length: > 0 } j ? j : Path.Combine(factory.DataDirectory, "storm.json");
        var driver = Path.Combine(AppContext.BaseDirectory, "StormDriver.dll");
        var run = network.Exec(
            TimeSpan.FromMinutes(15), "nice", "-n", "5", "dotnet", driver, "--interface", network.PeerInterface, "--blades", Blades.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--mac-byte", "4a", "--json", json, "--label", $"ours-{Blades}", "--blade-timeout", Blades <= 20 ? "240" : "780");
        TestContext.Current.TestOutputHelper?.WriteLine(run.Stdout);
        Assert.True(run.ExitCode == 0, $"storm driver exit {run.ExitCode}:\n{run.Stdout}\n{run.Stderr}\n{Tail(factory.Log.Read())}");

        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(json, ct));
        var blades = report.RootElement.GetProperty("blades").EnumerateArray().ToList();
        Assert.Equal(Blades, blades.Count);
        foreach (var blade in blades)
        {
            var mac = blade.GetProperty("mac").GetString();
            Assert.True(blade.GetProperty("ok").GetBoolean(), $"{mac}: {blade.GetProperty("error")}");
            Assert.Equal(ReadBytes, blade.GetProperty("lunBytes").GetInt64());
            Assert.True(blade.GetProperty("lunNonZero").GetBoolean(), mac);
            Assert.Equal(donorStart, blade.GetProperty("lunAfterSector0Sha256").GetString());
        }

        // Personalisation gives every clone its own MBR disk identifier, so the first sectors all differ.
        Assert.Equal(Blades, blades.Select(b => b.GetProperty("lunSha256").GetString()).Distinct().Count());

        Assert.Equal(Blades, blades.Select(b => b.GetProperty("address").GetString()).Distinct().Count());
        var provisioned = (await api.GetFromJsonAsync<List<BladeDto>>("/api/blades", JsonDefaults.Options, ct))!;
        Assert.Equal(Blades, provisioned.Count(b => b.BootMac.StartsWith("52:54:00:4a:", StringComparison.Ordinal) && b.State is "Provisioned" or "Active"));
        var volumes = (await api.GetFromJsonAsync<List<VolumeDto>>("/api/volumes", JsonDefaults.Options, ct))!;
        Assert.Equal(Blades, volumes.Where(v => v.State == "Exported").Select(v => v.TargetIqn).Distinct().Count());
    }

    /// <summary>
    /// A 16 MiB donor with one MBR partition whose first 7 MiB hold a fixed pseudo-random pattern, so a LUN that reads
    /// back zeros or the wrong image is caught; the sha256 of bytes 512 to 8 MiB.
    /// </summary>
    private static async Task<string> ImportPatternedDonorAsync(HttpClient api, ApplianceFactory factory, CancellationToken ct)
    {
        var path = Path.Combine(factory.Incoming, "storm-donor.raw");
        await using (var f = File.Create(path))
        {
            f.SetLength(16 << 20);
        }

        var sfdisk = TestNetwork.Run("sh", ["-c", $"printf 'label: dos\\n,,L,*\\n' | sfdisk -q {path}"], TimeSpan.FromSeconds(30));
        Assert.True(sfdisk.ExitCode == 0, sfdisk.Stderr);
        var pattern = new byte[7 << 20];
        new Random(40).NextBytes(pattern);
        await using (var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = 1 << 20;
            await f.WriteAsync(pattern, ct);
        }

        var start = new byte[ReadBytes - 512];
        await using (var f = File.OpenRead(path))
        {
            f.Position = 512;
            await f.ReadExactlyAsync(start, ct);
        }

        using var response = await api.PostAsJsonAsync("/api/images/import", new { name = "storm-image", operatingSystem = "Test OS", bootMode = "Both", path }, ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync(ct));
        var started = (await response.Content.ReadFromJsonAsync<ImportStartedDto>(JsonDefaults.Options, ct))!;
        await Eventually.UntilAsync(
            async () => (await api.GetFromJsonAsync<ImageDto>($"/api/images/{started.Image.Id}", JsonDefaults.Options, ct))!,
            image => image.State == "Active");
        return Convert.ToHexStringLower(SHA256.HashData(start));
    }

    private static string Tail(string log) => log.Length > 8000 ? log[^8000..] : log;
}
