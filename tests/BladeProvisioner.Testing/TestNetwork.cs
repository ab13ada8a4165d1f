using System.Diagnostics;

namespace BladeProvisioner.Testing;

/// <summary>
/// A network namespace joined to the root namespace by a veth pair: the test process serves on the host end
/// (<see cref="HostInterface"/>, <see cref="HostAddress"/>), real clients run inside the namespace through
/// <see cref="Exec"/>. Addresses are in 10.99.0.0/16 only (10.99.x.0/24, or a wider prefix from there). Disposing
/// removes everything.
/// </summary>
public sealed class TestNetwork : IDisposable
{
    private TestNetwork(string name, int subnet)
    {
        Namespace = name;
        HostInterface = name + "h";
        PeerInterface = name + "p";
        HostAddress = $"10.99.{subnet}.1";
        PeerAddress = $"10.99.{subnet}.2";
        Subnet = subnet;
    }

    public string Namespace { get; }
    public string HostInterface { get; }
    public string PeerInterface { get; }
    public string HostAddress { get; }
    public string PeerAddress { get; }
    public int Subnet { get; }

    /// <param name="name">At most 12 characters; unique among concurrently running tests.</param>
    /// <param name="subnet">Third octet of 10.99.x.0/24.</param>
    /// <param name="peerAddress">Whether the namespace end gets <see cref="PeerAddress"/> (DHCP tests want it bare).</param>
    /// <param name="prefixLength">16 to 24: 22 makes 10.99.x.0/22 (x a multiple of 4), room for a storm of blades.</param>
    public static TestNetwork Create(string name, int subnet, bool peerAddress = true, int prefixLength = 24)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(prefixLength, 16);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, 24);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(name.Length, 12);
        ArgumentOutOfRangeException.ThrowIfNegative(subnet);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(subnet, 255);
        Prerequisites.RequireRoot("network namespaces");
        Prerequisites.RequireProgram("/usr/sbin/ip");
        var net = new TestNetwork(name, subnet);
        net.Teardown();
        try
        {
            Ip("netns", "add", net.Namespace);
            Ip("-n", net.Namespace, "link", "set", "lo", "up");
            Ip("link", "add", net.HostInterface, "type", "veth", "peer", "name", net.PeerInterface);
            Ip("link", "set", net.PeerInterface, "netns", net.Namespace);
            Ip("addr", "add", $"{net.HostAddress}/{prefixLength}", "dev", net.HostInterface);
            Ip("link", "set", net.HostInterface, "up");
            if (peerAddress)
            {
                Ip("-n", net.Namespace, "addr", "add", $"{net.PeerAddress}/{prefixLength}", "dev", net.PeerInterface);
            }

            Ip("-n", net.Namespace, "link", "set", net.PeerInterface, "up");
        }
        catch
        {
            net.Teardown();
            throw;
        }

        return net;
    }

    /// <summary>Runs a program inside the namespace; returns exit code, stdout and stderr.</summary>
    public (int ExitCode, string Stdout, string Stderr) Exec(TimeSpan timeout, string program, params string[] args) =>
        Run("ip", ["netns", "exec", Namespace, program, .. args], timeout);

    /// <summary>Starts a long-running program inside the namespace; the caller kills it.</summary>
    public Process Start(string program, params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["netns", "exec", Namespace, program, .. args])
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi)!;
    }

    public void Dispose() => Teardown();

    private void Teardown()
    {
        Run("ip", ["link", "del", HostInterface], TimeSpan.FromSeconds(10));
        Run("ip", ["netns", "pids", Namespace], TimeSpan.FromSeconds(10)).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .ToList()
            .ForEach(pid => Run("kill", ["-9", pid.Trim()], TimeSpan.FromSeconds(5)));
        Run("ip", ["netns", "del", Namespace], TimeSpan.FromSeconds(10));
    }

    private static void Ip(params string[] args)
    {
        var (code, _, err) = Run("ip", args, TimeSpan.FromSeconds(10));
        if (code != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed: {err.Trim()}");
        }
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(string program, IReadOnlyList<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            return (-1, stdout.Result, stderr.Result + $"\n(timed out after {timeout})");
        }

        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
