using System.Globalization;

namespace BladeProvisioner.EndToEnd;

/// <summary>
/// The chassis as many sites run it: the site's own DHCP server hands out the addresses. The site server is dnsmasq
/// inside the chassis namespace at .2: DNS off (<c>--port=0</c>), a range, no PXE service, no TFTP; what else it sends
/// is the subclass's (<see cref="SiteOptions"/>). Its pid, lease and log files live in a temporary directory of the
/// fixture's own.
/// </summary>
public abstract class SiteDhcpChassisFixture : ChassisFixture
{
    public const string SiteServer = "10.99.79.2";
    private const string Bridge = "bpproxybr0";
    private readonly string _dir = Directory.CreateTempSubdirectory("bpproxy-dnsmasq-").FullName;

    private protected SiteDhcpChassisFixture(string dhcpMode)
        : base(Lab.SiteDhcpChassis(Lab.FindRepository(), dhcpMode))
    {
    }

    /// <summary>dnsmasq options beyond the address range.</summary>
    private protected abstract IEnumerable<string> SiteOptions { get; }

    internal string LeaseFile => Path.Combine(_dir, "dnsmasq.leases");

    internal string SiteLog => Path.Combine(_dir, "dnsmasq.log");

    private string PidFile => Path.Combine(_dir, "dnsmasq.pid");

    /// <summary>The address the site server leased to this MAC (its lease file: expiry, MAC, address, name, client id).</summary>
    internal string? SiteLeaseOf(string mac)
    {
        if (!File.Exists(LeaseFile))
        {
            return null;
        }

        return File.ReadAllLines(LeaseFile)
            .Select(l => l.Split(' '))
            .Where(f => f.Length >= 3 && string.Equals(f[1], mac, StringComparison.OrdinalIgnoreCase))
            .Select(f => f[2])
            .LastOrDefault();
    }

    private protected override async Task StartSiteServicesAsync(CancellationToken ct)
    {
        var address = await Lab.ExecAsync("ip", ["-n", Lab.Namespace, "addr", "replace", SiteServer + "/25", "dev", Bridge], ct);
        if (address.ExitCode != 0)
        {
            throw new InvalidOperationException("could not give the site DHCP server its address: " + address.StandardError);
        }

        string[] args =
        [
            "netns", "exec", Lab.Namespace, "dnsmasq",
            "--conf-file=/dev/null", "--port=0", "--no-hosts", "--no-resolv", "--user=root",
            "--interface=" + Bridge, "--bind-interfaces", "--except-interface=lo",
            $"--dhcp-range={Lab.Net}.100,{Lab.Net}.126,255.255.255.128,1h", "--dhcp-authoritative", "--no-ping",
            "--dhcp-leasefile=" + LeaseFile, "--pid-file=" + PidFile, "--log-dhcp", "--log-facility=" + SiteLog,
            .. SiteOptions,
        ];
        var start = await Lab.ExecAsync("ip", args, ct);
        if (start.ExitCode != 0)
        {
            throw new InvalidOperationException("dnsmasq (the site DHCP server) did not start: " + start.StandardError);
        }
    }

    private protected override async Task StopSiteServicesAsync()
    {
        // Only the dnsmasq this fixture started, by its pid; lab down ends anything left in the namespace.
        if (File.Exists(PidFile) && int.TryParse(File.ReadAllText(PidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            await Lab.ExecAsync("kill", [pid.ToString(CultureInfo.InvariantCulture)], CancellationToken.None);
        }
    }
}

