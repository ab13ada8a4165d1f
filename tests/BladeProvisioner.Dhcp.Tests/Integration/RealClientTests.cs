using BladeProvisioner.Testing;

namespace BladeProvisioner.Dhcp.Tests.Integration;

/// <summary>busybox udhcpc and ISC dhclient against the appliance's server, in a network namespace.</summary>
public sealed class RealClientTests(PostgresServer postgres)
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task UdhcpcGetsAddressRouterDnsAndBootFileRenewsAndReleases()
    {
        Prerequisites.RequireProgram("/usr/bin/busybox");
        await using var f = await DhcpHostFixture.StartAsync(postgres, "bpdhcp1", 20);
        var dir = Directory.CreateTempSubdirectory("bpdhcp-udhcpc");
        var env = Path.Combine(dir.FullName, "env");
        var script = WriteScript(dir.FullName, env);
        // -V PXEClient: a BIOS PXE client asking for its boot file; -R: release the lease on exit.
        using var udhcpc = f.Network.Start("busybox", "udhcpc", "-i", f.Network.PeerInterface, "-f", "-t", "5", "-T", "2",
            "-V", "PXEClient:Arch:00000:UNDI:002001", "-s", script, "-R");
        try
        {
            await WaitForAsync(() => Task.FromResult(HasEvent(env, "bound")), "no bound event");
            var vars = ReadEnv(env, "bound");
            Assert.Equal($"{f.Prefix}.100", vars["ip"]);
            Assert.Equal($"{f.Prefix}.1", vars["router"]);
            Assert.Equal($"{f.Prefix}.53", vars["dns"].Trim());
            Assert.Equal("lab.example", vars["domain"]);
            Assert.Equal("255.255.255.0", vars["subnet"]);
            Assert.Equal("undionly.kpxe", vars["boot_file"]);
            Assert.Equal($"{f.Prefix}.1", vars["siaddr"]);
            Assert.Equal(($"{f.Prefix}.100", "Bound"), (await f.LeasesAsync()).Select(l => (l.Address, l.State)).Single());

            // SIGUSR1: renew now (unicast REQUEST from ciaddr, RFC 2131 RENEWING).
            TestNetwork.Run("kill", ["-USR1", udhcpc.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], ClientTimeout);
            await WaitForAsync(() => Task.FromResult(HasEvent(env, "renew")), "no renew event");
            Assert.Equal($"{f.Prefix}.100", ReadEnv(env, "renew")["ip"]);

            // SIGTERM with -R: RELEASE.
            TestNetwork.Run("kill", ["-TERM", udhcpc.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], ClientTimeout);
            await WaitForAsync(async () => (await f.LeasesAsync()).Single().State == "Released", "lease not released");
        }
        finally
        {
            if (!udhcpc.HasExited)
            {
                udhcpc.Kill();
            }

            dir.Delete(recursive: true);
        }
    }

    private static bool HasEvent(string file, string name)
    {
        try
        {
            return File.Exists(file) && File.ReadAllText(file).Contains($"event={name}\n", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    [Fact]
    public async Task DhclientGetsLeaseRenewsTheSameAddressAndReleases()
    {
        Prerequisites.RequireProgram("/usr/sbin/dhclient");
        await using var f = await DhcpHostFixture.StartAsync(postgres, "bpdhcp2", 21);
        var dir = Directory.CreateTempSubdirectory("bpdhcp-dhclient");
        try
        {
            var env = Path.Combine(dir.FullName, "env");
            var script = WriteScript(dir.FullName, env);
            string[] common = ["-lf", Path.Combine(dir.FullName, "leases"), "-pf", Path.Combine(dir.FullName, "pid"), "-sf", script, "-cf", "/dev/null"];
            var (code, stdout, stderr) = f.Network.Exec(ClientTimeout, "dhclient", ["-1", "-v", .. common, f.Network.PeerInterface]);
            Assert.True(code == 0, $"dhclient failed ({code}): {stdout}\n{stderr}");
            var bound = ReadEnv(env, "BOUND");
            Assert.Equal($"{f.Prefix}.100", bound["new_ip_address"]);
            Assert.Equal($"{f.Prefix}.1", bound["new_routers"]);
            Assert.Equal($"{f.Prefix}.53", bound["new_domain_name_servers"]);
            Assert.Equal("lab.example", bound["new_domain_name"]);
            Assert.Equal("600", bound["new_dhcp_lease_time"]);
            Assert.Equal(("10.99.21.100", "Bound"), (await f.LeasesAsync()).Select(l => (l.Address, l.State)).Single());

            // Started again with its lease file, dhclient asks for its address back (INIT-REBOOT) and keeps it.
            File.Delete(env);
            (code, stdout, stderr) = f.Network.Exec(ClientTimeout, "dhclient", ["-1", "-v", .. common, f.Network.PeerInterface]);
            Assert.True(code == 0, $"dhclient renewal failed ({code}): {stdout}\n{stderr}");
            var renewed = ReadEnv(env, "REBOOT", "BOUND", "RENEW");
            Assert.Equal($"{f.Prefix}.100", renewed["new_ip_address"]);

            (code, stdout, stderr) = f.Network.Exec(ClientTimeout, "dhclient", ["-r", "-v", .. common, f.Network.PeerInterface]);
            Assert.True(code == 0, $"dhclient release failed ({code}): {stdout}\n{stderr}");
            await WaitForAsync(async () => (await f.LeasesAsync()).Single().State == "Released");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string WriteScript(string dir, string envFile)
    {
        var path = Path.Combine(dir, "hook.sh");
        // Client hook: record what the client was told and put the address on the interface (so RELEASE can leave from it).
        File.WriteAllText(path, $$"""
            #!/bin/sh
            { env; echo "event=${1:-$reason}"; echo; } >> '{{envFile}}'
            addr="${ip:-$new_ip_address}"
            [ -n "$addr" ] && ip addr replace "$addr/24" dev "$interface"
            exit 0

            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static Dictionary<string, string> ReadEnv(string file, params string[] events)
    {
        Assert.True(File.Exists(file), "the client ran no hook");
        var blocks = File.ReadAllText(file).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        foreach (var block in blocks.Reverse())
        {
            var vars = block.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split('=', 2))
                .Where(p => p.Length == 2)
                .GroupBy(p => p[0])
                .ToDictionary(g => g.Key, g => g.Last()[1]);
            if (vars.TryGetValue("event", out var e) && events.Contains(e))
            {
                return vars;
            }

            if (vars.TryGetValue("reason", out var r) && events.Contains(r))
            {
                return vars;
            }
        }

        Assert.Fail($"no {string.Join('/', events)} event in:\n{File.ReadAllText(file)}");
        return [];
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string? context = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"condition not met within 60 s. {context}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
