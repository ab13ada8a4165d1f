using System.Diagnostics;
using System.Globalization;
using BladeProvisioner.Core.Naming;
using BladeProvisioner.Core.Security;
using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Storage.Targets;
using BladeProvisioner.Storage.Targets.Tgt;
using Microsoft.Extensions.Logging.Abstractions;

namespace BladeProvisioner.Storage.Tests.Targets.Lab;

/// <summary>
/// A private tgtd: namespace <c>bptgtN</c> holds tgtd on 10.99.5N.1:3260; namespace <c>bptgtNi</c> holds the
/// initiators at 10.99.5N.2, joined by veth bptgtNa/bptgtNb. N is claimed with a lock file so parallel test runs
/// on one machine never share a namespace. tgtd's control socket is a file shared by all namespaces, so each lab's
/// tgtd also has its own control port (5350 + N; tgtd rejects large ones) and the lab only ever talks to, and stops, its own tgtd.
/// Everything is torn down on dispose.
/// <para>On a shared machine the names can be moved out of others' way: <c>BP_TGTLAB_PREFIX</c> (e.g. <c>bpsect</c>)
/// renames namespaces, veths and lock files, <c>BP_TGTLAB_SUBNET</c> (e.g. <c>10.99.75</c>) puts every slot in that one
/// /24 as a /30 (slot N: .4N+1 and .4N+2), and <c>BP_TGTLAB_CONTROL_BASE</c> moves the control ports.</para>
/// </summary>
public sealed class TgtLab : IAsyncDisposable
{
    private readonly FileStream _claim;
    private Process? _tgtd;

    private static readonly string NamePrefix = Environment.GetEnvironmentVariable("BP_TGTLAB_PREFIX") is { Length: > 0 } p ? p : "bptgt";
    private static readonly string? Subnet = Environment.GetEnvironmentVariable("BP_TGTLAB_SUBNET") is { Length: > 0 } s ? s : null;
    private static readonly int ControlBase =
        int.TryParse(Environment.GetEnvironmentVariable("BP_TGTLAB_CONTROL_BASE"), CultureInfo.InvariantCulture, out var b) ? b : 5350;

    private TgtLab(int index, FileStream claim)
    {
        Index = index;
        _claim = claim;
        Namespace = $"{NamePrefix}{index}";
        InitiatorNamespace = $"{NamePrefix}{index}i";
        PortalAddress = Subnet is null ? $"10.99.5{index}.1" : $"{Subnet}.{(4 * index) + 1}";
        InitiatorAddress = Subnet is null ? $"10.99.5{index}.2" : $"{Subnet}.{(4 * index) + 2}";
        Directory = System.IO.Directory.CreateTempSubdirectory($"{NamePrefix}{index}-").FullName;
        Iqns = new IqnFactory($"lab{index}.bp.test", new DateOnly(2026, 1, 1));
    }

    public int Index { get; }
    private static int PrefixLength => Subnet is null ? 24 : 30;

    public int ControlPort => ControlBase + Index;
    public string Namespace { get; }
    public string InitiatorNamespace { get; }
    public string PortalAddress { get; }
    public string InitiatorAddress { get; }
    public string Directory { get; }
    public IqnFactory Iqns { get; }
    public int? TgtdPid => _tgtd is { HasExited: false } p ? p.Id : null;

    public TargetsOptions Options => new()
    {
        NetworkNamespace = Namespace,
        ControlPort = ControlPort,
        PortalAddress = PortalAddress,
        PortalPort = 3260,
        ManagedIqnPrefix = Iqns.Prefix + ":blade.",
    };

    public static async Task<TgtLab> CreateAsync(bool startTgtd = true)
    {
        LabPrerequisites.Require();
        for (int i = 0; i < 10; i++)
        {
            FileStream claim;
            try
            {
                claim = new FileStream($"/tmp/{NamePrefix}{i}.lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                continue;
            }

            var lab = new TgtLab(i, claim);
            try
            {
                await lab.SetUpNetworkAsync();
                if (startTgtd)
                {
                    await lab.StartTgtdAsync();
                }

                return lab;
            }
            catch
            {
                await lab.DisposeAsync();
                throw;
            }
        }

        throw new InvalidOperationException($"All ten {NamePrefix} lab slots are in use.");
    }

    public TgtDriver CreateDriver(TimeProvider? time = null) =>
        new(new ProcessRunner(NullLogger<ProcessRunner>.Instance), Microsoft.Extensions.Options.Options.Create(Options), NullLogger<TgtDriver>.Instance, time);

    /// <summary>A blade's spec over a fresh backing file of random bytes (returned for read-back checks).</summary>
    public (TargetSpec Spec, byte[] Content) NewBlade(long bladeId, bool mutual = false, int sizeBytes = 2 * 1024 * 1024)
    {
        var content = new byte[sizeBytes];
        Random.Shared.NextBytes(content);
        var path = Path.Combine(Directory, $"blade{bladeId}.img");
        File.WriteAllBytes(path, content);
        var mac = string.Create(CultureInfo.InvariantCulture, $"52:54:00:{Index:x2}:{bladeId >> 8 & 0xff:x2}:{bladeId & 0xff:x2}");
        var spec = new TargetSpec(
            Iqns.Target(bladeId), 1, path, ScsiIdentity.NewSerial(bladeId), ScsiIdentity.NewWwn(), Iqns.Initiator(mac),
            ChapSecret.UserFor(bladeId), ChapSecret.Generate())
        {
            MutualChapUser = mutual ? ChapSecret.UserFor(bladeId, mutual: true) : null,
            MutualChapSecret = mutual ? ChapSecret.Generate() : null,
        };
        return (spec, content);
    }

    public async Task StartTgtdAsync()
    {
        var psi = new ProcessStartInfo("ip")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "netns", "exec", Namespace, "tgtd", "-f", "--control-port", ControlPort.ToString(CultureInfo.InvariantCulture), "--iscsi", $"portal={PortalAddress}:3260" })
        {
            psi.ArgumentList.Add(a);
        }

        _tgtd = Process.Start(psi) ?? throw new InvalidOperationException("cannot start tgtd");
        _tgtd.OutputDataReceived += (_, _) => { };
        _tgtd.ErrorDataReceived += (_, _) => { };
        _tgtd.BeginOutputReadLine();
        _tgtd.BeginErrorReadLine();
        await WaitForControlSocketAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>SIGKILL, as a crash would: tgtd forgets every target.</summary>
    public async Task KillTgtdAsync()
    {
        var p = _tgtd ?? throw new InvalidOperationException("tgtd not started by the lab");
        p.Kill();
        await p.WaitForExitAsync();
        p.Dispose();
        _tgtd = null;
    }

    /// <summary>Polls tgtd's control socket: tgtd offers no readiness notification.</summary>
    public async Task WaitForControlSocketAsync(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (_tgtd is { HasExited: true })
            {
                throw new InvalidOperationException($"tgtd for {Namespace} exited at once (control port {ControlPort} in use?)");
            }

            var r = await TgtadmAsync("--op", "show", "--mode", "sys");
            if (r.ExitCode == 0)
            {
                return;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"tgtd in {Namespace} did not answer within {timeout}");
    }

    /// <summary>Runs tgtadm by hand in the lab namespace (to make drift the way an operator would).</summary>
    public Task<LabProcess.Result> TgtadmAsync(params string[] args) =>
        LabProcess.RunAsync("ip", ["netns", "exec", Namespace, "tgtadm", "--control-port", ControlPort.ToString(CultureInfo.InvariantCulture), "--lld", "iscsi", .. args]);

    public Initiator Initiator => new(this);

    private async Task SetUpNetworkAsync()
    {
        await RemoveNamespacesAsync();
        await LabProcess.MustAsync("ip", "netns", "add", Namespace);
        await LabProcess.MustAsync("ip", "netns", "add", InitiatorNamespace);
        await LabProcess.MustAsync("ip", "-n", Namespace, "link", "set", "lo", "up");
        await LabProcess.MustAsync("ip", "-n", InitiatorNamespace, "link", "set", "lo", "up");
        await LabProcess.MustAsync("ip", "-n", Namespace, "link", "add", $"{NamePrefix}{Index}a", "type", "veth", "peer", "name", $"{NamePrefix}{Index}b", "netns", InitiatorNamespace);
        await LabProcess.MustAsync("ip", "-n", Namespace, "addr", "add", $"{PortalAddress}/{PrefixLength}", "dev", $"{NamePrefix}{Index}a");
        await LabProcess.MustAsync("ip", "-n", InitiatorNamespace, "addr", "add", $"{InitiatorAddress}/{PrefixLength}", "dev", $"{NamePrefix}{Index}b");
        await LabProcess.MustAsync("ip", "-n", Namespace, "link", "set", $"{NamePrefix}{Index}a", "up");
        await LabProcess.MustAsync("ip", "-n", InitiatorNamespace, "link", "set", $"{NamePrefix}{Index}b", "up");
    }

    private async Task RemoveNamespacesAsync()
    {
        // Any process left in the namespaces (a tgtd from a crashed run) goes with them.
        foreach (var ns in new[] { Namespace, InitiatorNamespace })
        {
            var pids = await LabProcess.RunAsync("ip", ["netns", "pids", ns]);
            foreach (var pid in pids.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await LabProcess.RunAsync("kill", ["-9", pid]);
            }

            await LabProcess.RunAsync("ip", ["netns", "del", ns]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_tgtd is { HasExited: false })
            {
                // tgtd ignores SIGTERM while targets exist: the documented way out is --force, then delete system.
                var list = await TgtadmAsync("--op", "show", "--mode", "target");
                foreach (var line in list.StdoutText.Split('\n').Where(l => l.StartsWith("Target ", StringComparison.Ordinal)))
                {
                    var tid = line["Target ".Length..line.IndexOf(':', StringComparison.Ordinal)];
                    await TgtadmAsync("--op", "delete", "--mode", "target", "--tid", tid, "--force");
                }

                await TgtadmAsync("--op", "delete", "--mode", "system");
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await _tgtd.WaitForExitAsync(cts.Token);
                }
                catch (OperationCanceledException)
                {
                    _tgtd.Kill();
                }
            }

            _tgtd?.Dispose();
            await RemoveNamespacesAsync();
        }
        finally
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp directory.
            }

            await _claim.DisposeAsync();
        }
    }
}
