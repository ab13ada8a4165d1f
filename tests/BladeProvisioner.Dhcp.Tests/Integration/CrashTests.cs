using System.Collections.Concurrent;
using System.Diagnostics;
using BladeProvisioner.Testing;
using Npgsql;

namespace BladeProvisioner.Dhcp.Tests.Integration;

/// <summary>
/// kill -9 of the appliance (the real process) in the middle of a perfdhcp run, then a restart on the same database: no
/// address is ever ACKed to two MACs (seen on the wire) and every ACKed lease is in the lease table.
/// </summary>
public sealed class CrashTests(PostgresServer postgres)
{
    [Fact]
    public async Task KillNineDuringPerfdhcpNeverAcksAnAddressToTwoMacs()
    {
        Prerequisites.RequireProgram("/usr/sbin/perfdhcp");
        Prerequisites.RequireProgram("/usr/bin/python3");
        var ct = TestContext.Current.CancellationToken;
        using var network = TestNetwork.Create("bpdhcp3", 22);
        var connectionString = await postgres.CreateDatabaseAsync("dhcpcrash");
        using var data = new TempDirectory("bp-dhcpcrash");
        using var tgt = TgtInstance.Claim();
        var acks = new ConcurrentQueue<(string Address, string Mac, int Life)>();
        int life = 0;
        using var sniffer = StartProcess("/usr/bin/python3", [Path.Combine(AppContext.BaseDirectory, "Integration", "ack_sniffer.py"), network.HostInterface]);
        var snifferReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sniffer.OutputDataReceived += (_, e) =>
        {
            var parts = e.Data?.Split(' ');
            if (parts is ["ready"])
            {
                snifferReady.TrySetResult();
            }
            else if (parts is [var address, var mac])
            {
                acks.Enqueue((address, mac, Volatile.Read(ref life)));
            }
        };
        sniffer.BeginOutputReadLine();
        await snifferReady.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);

        Process? server = null;
        Process? perfdhcp = null;
        try
        {
            server = await StartServerAsync(network, connectionString, data.Path, tgt, ct);
            perfdhcp = network.Start("perfdhcp", "-4", "-l", network.PeerInterface, "-r", "400", "-R", "200", "-p", "300");
            // Kill once the server is busy handing out leases: a few seconds after its first ACK.
            var firstAck = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (acks.IsEmpty && DateTime.UtcNow < firstAck)
            {
                await Task.Delay(50, ct);
            }

            Assert.False(acks.IsEmpty, "no ACK before the crash");
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            server.Kill(); // SIGKILL: no shutdown, no flush
            await server.WaitForExitAsync(ct);
            Interlocked.Increment(ref life);
            server.Dispose();
            server = await StartServerAsync(network, connectionString, data.Path, tgt, ct);

            // perfdhcp keeps asking until the restarted appliance has answered for a while, however long the restart took.
            var restarted = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (!acks.Any(a => a.Life == 1) && DateTime.UtcNow < restarted)
            {
                await Task.Delay(100, ct);
            }

            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            Stop(perfdhcp);
            perfdhcp.Dispose();
            perfdhcp = null;
            await Task.Delay(500, ct);
        }
        finally
        {
            Stop(perfdhcp);
            Stop(server);
            Stop(sniffer);
        }

        Assert.Contains(acks, a => a.Life == 1);
        var twice = acks.GroupBy(a => a.Address).Where(g => g.Select(a => a.Mac).Distinct().Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, $"addresses ACKed to two MACs: {string.Join(", ", twice)}");

        await using var ds = NpgsqlDataSource.Create(connectionString);
        await using var cmd = ds.CreateCommand("SELECT host(address), mac FROM dhcp_leases WHERE state = 'Bound'");
        var table = new Dictionary<string, string>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                table[reader.GetString(0)] = reader.GetString(1);
            }
        }

        var lost = acks.Where(a => !table.TryGetValue(a.Address, out var mac) || mac != a.Mac).Distinct().ToList();
        Assert.True(lost.Count == 0, $"ACKed but not in the lease table: {string.Join(", ", lost.Take(10))}");
    }

    internal static async Task<Process> StartServerAsync(
        TestNetwork network, string connectionString, string dataDirectory, TgtInstance tgt, CancellationToken ct, params string[] extraArguments)
    {
        var process = StartProcess("dotnet", [ApplianceProcess.AppliancePath(), .. ApplianceProcess.ListenerArguments(ApplianceProcess.FreeTcpPort(), ApplianceProcess.FreeTcpPort()),
            $"--Appliance:DataDirectory={dataDirectory}", "--Appliance:NodeName=dhcp-crash", .. tgt.Arguments,
            $"--ConnectionStrings:Appliance={connectionString}", "--Dhcp:Enabled=true",
            $"--Dhcp:Interfaces:0:Name={network.HostInterface}", "--Dhcp:ProbeBeforeOffer:Enabled=false", "--Dhcp:Scopes:0:Name=lab",
            $"--Dhcp:Scopes:0:Subnet=10.99.{network.Subnet}.0/24", $"--Dhcp:Scopes:0:Ranges:0=10.99.{network.Subnet}.10-10.99.{network.Subnet}.250",
            "--Dhcp:Scopes:0:LeaseTime=01:00:00",
            // perfdhcp sends as a relay agent would (giaddr = its own address, from port 67).
            $"--Dhcp:TrustedRelays:0={network.PeerAddress}", .. extraArguments]);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new ConcurrentQueue<string>();
        void OnLine(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            if (e.Data.Contains("listening on", StringComparison.Ordinal) || e.Data.Contains("DHCP Server listening", StringComparison.Ordinal))
            {
                listening.TrySetResult();
            }
        }

        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
        }
        catch (TimeoutException)
        {
            Stop(process);
            Assert.Fail("The appliance did not start serving DHCP:\n" + string.Join('\n', output));
        }

        return process;
    }

    internal static Process StartProcess(string program, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi)!;
    }

    internal static void Stop(Process? process)
    {
        try
        {
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
