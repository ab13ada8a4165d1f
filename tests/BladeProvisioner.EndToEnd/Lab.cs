using BladeProvisioner.Platform.Processes;
using Microsoft.Extensions.Logging.Abstractions;

namespace BladeProvisioner.EndToEnd;

/// <summary>
/// Drives <c>deploy/lab/lab.sh</c> (the same script behind <c>./bp lab</c>) on a chassis of the tests' own, so a
/// developer's own <c>./bp lab</c> (bplab, 10.99.0/1) keeps running beside the tests. <see cref="Chassis"/>: namespace
/// bplabe2e, chassis 10.99.20.0/24, BMCs 10.99.21.0/24, UI/API on 127.0.0.1:8481, tgtd control port 7713, the appliance
/// as the chassis's DHCP server. <see cref="SiteDhcpChassis"/>: namespace bpproxye2e, chassis 10.99.79.0/25 and BMCs
/// 10.99.79.128/25, UI/API on 127.0.0.1:8479, tgtd control port 7779, the appliance in proxyDHCP mode (or with no DHCP at all)
/// beside a site DHCP server (dnsmasq, started by <see cref="SiteDhcpChassisFixture"/>).
/// </summary>
internal sealed class Lab
{
    private readonly ProcessRunner _runner = new(NullLogger<ProcessRunner>.Instance);

    public Lab(string repository, string ns, string net, int apiPort, int tgtControlPort, IReadOnlyDictionary<string, string>? extra = null)
    {
        Repository = repository;
        Script = Path.Combine(repository, "deploy", "lab", "lab.sh");
        Namespace = ns;
        Net = net;
        TgtControlPort = tgtControlPort;
        var env = new Dictionary<string, string>
        {
            ["BP_LAB_NS"] = ns,
            ["BP_LAB_NET"] = net,
            ["BP_LAB_PORT"] = apiPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["BP_LAB_TGT_CONTROL_PORT"] = tgtControlPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["BP_LAB_KEEP_DATA"] = "0",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        Environment = env;
    }

    public string Repository { get; }

    public string Script { get; }

    public string Namespace { get; }

    public string Net { get; }

    public int TgtControlPort { get; }

    public string Server => Net + ".1";

    public IReadOnlyDictionary<string, string> Environment { get; }

    public static Lab Chassis(string repository) =>
        new(repository, "bplabe2e", "10.99.20", 8481, 7713, new Dictionary<string, string>
        {
            ["BP_LAB_BMC_NET"] = "10.99.21",

            // Every LUN 4 GiB: 16 times the test donor's 256 MiB and twice the Debian donors' 2 GiB, so each boot shows a
            // root filesystem grown into a larger LUN (sparse files: a LUN takes only what the clone and the OS wrote).
            ["Storage__Volumes__RoundUpMiB"] = "4096",
        });

    /// <summary>
    /// One /24 split in two: the chassis below .128 (site DHCP range .100-.126), the BMCs above. The appliance's DHCP runs
    /// in <paramref name="dhcpMode"/> (<c>proxy</c>, or <c>external</c>: none).
    /// </summary>
    public static Lab SiteDhcpChassis(string repository, string dhcpMode) =>
        new(repository, "bpproxye2e", "10.99.79", 8479, 7779, new Dictionary<string, string>
        {
            ["BP_LAB_BMC_NET"] = "10.99.79",
            ["BP_LAB_PREFIX"] = "25",
            ["BP_LAB_BMC_BASE"] = "128",
            ["BP_LAB_BRIDGE"] = "bpproxybr0",
            ["BP_LAB_DHCP_MODE"] = dhcpMode,
        });

    /// <summary>The repository root: the directory holding <c>bp</c> and the solution, above the test binaries.</summary>
    public static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "bp")) && File.Exists(Path.Combine(dir.FullName, "BladeProvisioner.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Could not find the repository root (bp, BladeProvisioner.sln) above " + AppContext.BaseDirectory);
    }

    /// <summary>Runs lab.sh; returns its key=value output lines. Fails with the script's own words.</summary>
    public async Task<Dictionary<string, string>> RunAsync(TimeSpan timeout, CancellationToken ct, params string[] arguments)
    {
        var spec = new ProcessSpec(Script, arguments) { Timeout = timeout, Environment = Environment, WorkingDirectory = Repository };
        var result = await _runner.TryRunAsync(spec, ct);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"lab.sh {string.Join(' ', arguments)} failed ({result.ExitCode}) after {result.Elapsed.TotalSeconds:0.0} s:\n{Tail(result.StandardError, 3000)}\n{Tail(result.StandardOutput, 1000)}");
        }

        return ParseKeyValues(result.StandardOutput);
    }

    /// <summary>Any other program (tgtadm, iscsi-ls), never throwing: the caller judges the exit code.</summary>
    public Task<ProcessResult> ExecAsync(string program, IReadOnlyList<string> arguments, CancellationToken ct) =>
        _runner.TryRunAsync(new ProcessSpec(program, arguments) { Timeout = TimeSpan.FromSeconds(60) }, ct);

    public async Task<VirtualBlade> StartBladeAsync(string name, string firmware, CancellationToken ct, int memoryMiB = 384)
    {
        var info = await RunAsync(TimeSpan.FromMinutes(2), ct, "blade", name, "--firmware", firmware, "--memory", memoryMiB.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new VirtualBlade(name, firmware, info);
    }

    /// <summary>Powers a blade through its BMC the way an admin would (ipmitool against ipmi_sim).</summary>
    public async Task IpmiAsync(VirtualBlade blade, CancellationToken ct, params string[] command)
    {
        var args = new List<string> { "-I", "lanplus", "-C", "3", "-H", blade.BmcAddress, "-p", "623", "-U", blade.BmcUser, "-E" };
        args.AddRange(command);
        var env = new Dictionary<string, string> { ["IPMI_PASSWORD"] = blade.BmcPassword };
        var result = await _runner.TryRunAsync(new ProcessSpec("ipmitool", args) { Environment = env, Timeout = TimeSpan.FromSeconds(60) }, ct);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"ipmitool {string.Join(' ', command)} against {blade.Name}'s BMC failed: {result.StandardError}");
        }
    }

    internal static Dictionary<string, string> ParseKeyValues(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && !line[..eq].Contains(' ', StringComparison.Ordinal))
            {
                values[line[..eq]] = line[(eq + 1)..];
            }
        }

        return values;
    }

    private static string Tail(string text, int max) => text.Length > max ? text[^max..] : text;
}
