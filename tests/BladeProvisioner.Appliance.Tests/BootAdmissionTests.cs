using System.Globalization;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>
/// Who the boot conversation admits, on the wire: the appliance serves DHCP and HTTP to a chassis network namespace,
/// where busybox udhcpc plays iPXE's DHCP (user class "iPXE") and curl plays its HTTP. A host that only names a MAC,
/// a blade id or an SMBIOS UUID gets nothing; a DHCP answer's ticket admits its own MAC, from its own address, once;
/// and a process on the provisioned blade — an unprivileged user at the blade's own address — gets no CHAP secret.
/// </summary>
public sealed partial class BootAdmissionTests(PostgresServer postgres)
{
    private const int Subnet = 78;
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(90);

    [GeneratedRegex(@"/boot/choose\?blade=(?<blade>\d+)&image=(?<image>\d+)&token=[A-Za-z0-9_-]+")]
    private static partial Regex ChooseLink();

    [GeneratedRegex(@"[?&]ticket=(?<ticket>[A-Za-z0-9_-]+)")]
    private static partial Regex TicketParameter();

    [Fact]
    public async Task OnlyTheBootADhcpAnswerTicketedGetsInAndARunningBladesUsersGetNoSecret()
    {
        Prerequisites.RequireProgram("/usr/bin/busybox");
        Prerequisites.RequireProgram("/usr/bin/curl");
        Prerequisites.RequireProgram("/usr/sbin/runuser");
        var ct = TestContext.Current.CancellationToken;
        using var network = TestNetwork.Create("bpadmit", Subnet);
        var cs = await postgres.CreateEmptyDatabaseAsync("admission");
        await using var factory = new ApplianceFactory(cs, new Dictionary<string, string>
        {
            ["Dhcp:Enabled"] = "true",
            ["Dhcp:Interfaces:0:Name"] = network.HostInterface,
            ["Dhcp:Scopes:0:Name"] = "admission",
            ["Dhcp:Scopes:0:Subnet"] = $"10.99.{Subnet}.0/24",
            ["Dhcp:Scopes:0:Ranges:0"] = $"10.99.{Subnet}.100-10.99.{Subnet}.150",
            ["Dhcp:Scopes:0:LeaseTime"] = "01:00:00",
        });
        var port = ApplianceProcess.FreeTcpPort();
        factory.UseKestrel(o =>
        {
            o.ListenLocalhost(port);
            o.Listen(System.Net.IPAddress.Parse(network.HostAddress), port);
        });
        factory.StartServer();
        await factory.Services.WaitReadyAsync(ct);
        using var api = factory.CreateClient();
        var image = await TestImages.ImportAsync(api, factory, "admission-image", "Bios", ct);
        const string RuledUuid = "4c4c4544-0042-3510-8051-b2c04f4e3799";
        (await api.PostAsJsonAsync("/api/zero-touch", new { smbiosUuid = RuledUuid, imageId = image }, ct)).EnsureSuccessStatusCode();
        var boot = $"http://{network.HostAddress}:{port}";
        var attacker = network.PeerAddress;

        // 1. An attacker host (a static address, no DHCP) claims the ruled UUID with invented MACs: no clone starts.
        foreach (var mac in new[] { "52-54-00-a7-00-01", "52-54-00-a7-00-02" })
        {
            var (code, body) = Curl(network, attacker, $"{boot}/boot/blade?mac={mac}&uuid={RuledUuid}&platform=pcbios&buildarch=i386");
            Assert.Equal(403, code);
            Assert.DoesNotContain("/boot/status", body, StringComparison.Ordinal);
        }

        Assert.Empty((await api.GetFromJsonAsync<List<BladeDto>>("/api/blades", JsonDefaults.Options, ct))!);
        Assert.Empty((await api.GetFromJsonAsync<List<VolumeDto>>("/api/volumes", JsonDefaults.Options, ct))!);

        // 2. The blade's real DHCP exchange as iPXE: its answer's boot URL carries a ticket.
        var dir = Directory.CreateTempSubdirectory("bpadmit");
        var (ip, mac1, url) = Dhcp(network, dir.FullName, "first");
        Assert.StartsWith($"10.99.{Subnet}.", ip, StringComparison.Ordinal);
        var ticket = TicketParameter().Match(url).Groups["ticket"].Value;
        Assert.NotEmpty(ticket);
        var macParam = mac1.Replace(':', '-');
        var identify = $"{boot}/boot/blade?mac={macParam}&uuid=&platform=pcbios&buildarch=i386&ticket={ticket}";

        // The ticket is the blade's alone: another MAC with it, or the right MAC from another address, is refused.
        Assert.Equal(403, Curl(network, attacker, identify).Code);
        Assert.Equal(403, Curl(network, ip, identify.Replace(macParam, "52-54-00-a7-00-03", StringComparison.Ordinal)).Code);

        // From its own address, with its own MAC, the ticket admits it once: the menu, with links only it can follow.
        var (menuCode, menu) = Curl(network, ip, identify);
        Assert.True(menuCode == 200, $"{menuCode}: {menu}\n{factory.Log.Read()}");
        Assert.Equal(403, Curl(network, ip, identify).Code);

        // 3. Knowing the blade's id gets an attacker no token and no progress (the old way to its secrets).
        var choose = ChooseLink().Matches(menu).Single(m => m.Groups["image"].Value == image.ToString(CultureInfo.InvariantCulture));
        var bladeId = choose.Groups["blade"].Value;
        var guessed = Curl(network, attacker, $"{boot}/boot/status?blade={bladeId}");
        Assert.Equal(403, guessed.Code);
        Assert.DoesNotContain("token=", guessed.Body, StringComparison.Ordinal);
        Assert.Equal(403, Curl(network, attacker, boot + choose.Value).Code);

        // 4. The blade chooses and is provisioned (its own tokens carry it through the progress screens).
        var (_, status) = Curl(network, ip, boot + choose.Value);
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (!status.Contains("reboot", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250, ct);
            var (code, next) = Curl(network, ip, boot + TestBoot.StatusPath(status));
            Assert.True(code == 200, $"{code}: {next}");
            status = next;
        }

        Assert.Contains("reboot", status, StringComparison.Ordinal);

        // 5. After the restart, its next DHCP answer admits it to its sanboot script with the CHAP secret.
        var (ip2, _, url2) = Dhcp(network, dir.FullName, "second");
        Assert.Equal(ip, ip2);
        var sanbootUrl = $"{boot}/boot/blade?mac={macParam}&platform=pcbios&buildarch=i386&ticket={TicketParameter().Match(url2).Groups["ticket"].Value}";
        var (sanCode, sanboot) = Curl(network, ip, sanbootUrl);
        Assert.True(sanCode == 200, $"{sanCode}: {sanboot}");
        var secret = Regex.Match(sanboot, @"^set password (\S+)$", RegexOptions.Multiline).Groups[1].Value;
        Assert.Equal(16, secret.Length);

        // 6. The OS runs. An unprivileged process on the blade, at the blade's own address, asks for the script: with
        //    no ticket, with the spent one, through the blade's id. It cannot get a ticket of its own either: DHCP needs
        //    port 68, which only root may bind.
        foreach (var attempt in new[] { $"{boot}/boot/blade?mac={macParam}&platform=pcbios", sanbootUrl, $"{boot}/boot/menu?blade={bladeId}" })
        {
            var (code, body) = Curl(network, ip, attempt, user: "nobody");
            Assert.Equal(403, code);
            Assert.DoesNotContain(secret, body, StringComparison.Ordinal);
        }

        var unprivileged = network.Exec(ClientTimeout, "runuser", "-u", "nobody", "--", "busybox", "udhcpc", "-i", network.PeerInterface, "-n", "-q", "-f", "-t", "2", "-T", "1", "-s", "/bin/true");
        Assert.NotEqual(0, unprivileged.ExitCode);
        Assert.Single((await api.GetFromJsonAsync<List<VolumeDto>>("/api/volumes", JsonDefaults.Options, ct))!);
    }

    /// <summary>curl inside the chassis namespace from <paramref name="source"/>; the status code and the body.</summary>
    private static (int Code, string Body) Curl(TestNetwork network, string source, string url, string? user = null)
    {
        string[] curl = ["curl", "-s", "-m", "30", "--interface", source, "-w", "\n%{http_code}", url];
        var run = user is null ? network.Exec(ClientTimeout, curl[0], curl[1..]) : network.Exec(ClientTimeout, "runuser", ["-u", user, "--", .. curl]);
        var cut = run.Stdout.LastIndexOf('\n');
        return cut < 0 || run.Stdout[(cut + 1)..] == "000" ? (0, $"curl {url} from {source}: exit {run.ExitCode} {run.Stdout}{run.Stderr}") : (int.Parse(run.Stdout[(cut + 1)..], CultureInfo.InvariantCulture), run.Stdout[..cut]);
    }

    /// <summary>
    /// One DHCP exchange as iPXE sends it (user class "iPXE", 0x69505845): the address (configured on the namespace's
    /// interface), the client's MAC and the boot URL of the answer.
    /// </summary>
    private static (string Ip, string Mac, string BootUrl) Dhcp(TestNetwork network, string directory, string name)
    {
        var env = Path.Combine(directory, name + ".env");
        var script = Path.Combine(directory, name + ".sh");
        File.WriteAllText(script, $"#!/bin/sh\nif [ \"$1\" = bound ]; then ip addr replace \"$ip/24\" dev \"$interface\"; env > {env}; fi\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var run = network.Exec(ClientTimeout, "busybox", "udhcpc", "-i", network.PeerInterface, "-n", "-q", "-f", "-t", "10", "-T", "2", "-x", "0x4d:69505845", "-s", script);
        Assert.True(run.ExitCode == 0 && File.Exists(env), $"udhcpc: {run.Stdout}{run.Stderr}");
        var vars = File.ReadAllLines(env).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        var mac = network.Exec(ClientTimeout, "cat", $"/sys/class/net/{network.PeerInterface}/address").Stdout.Trim();
        return (vars["ip"], mac, vars.GetValueOrDefault("boot_file") ?? string.Empty);
    }
}
