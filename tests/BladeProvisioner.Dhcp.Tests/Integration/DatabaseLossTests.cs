using System.Collections.Concurrent;
using System.Net;
using BladeProvisioner.Data.Postgres;
using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace BladeProvisioner.Dhcp.Tests.Integration;

/// <summary>
/// The appliance's database stops during a perfdhcp run and comes back: readiness closes (naming the database), the
/// DHCP server holds its answers while it is down, reopens when it answers again, and no address is ever ACKed to two
/// MACs. The cluster is the test's own (the shared test cluster is never stopped).
/// </summary>
public sealed class DatabaseLossTests
{
    [Fact]
    public async Task PostgresRestartedDuringPerfdhcpClosesReadinessAndNeverAcksAnAddressToTwoMacs()
    {
        Prerequisites.RequireProgram("/usr/sbin/perfdhcp");
        Prerequisites.RequireProgram("/usr/bin/python3");
        var ct = TestContext.Current.CancellationToken;
        using var network = TestNetwork.Create("bpready1", 84);
        using var data = new TempDirectory("bp-dbloss");
        using var tgt = TgtInstance.Claim();
        var cluster = new EmbeddedPostgres(Path.Combine(data.Path, "pg"), EmbeddedPostgres.FindBinDirectory(), "postgres", new ProcessRunner(NullLogger<ProcessRunner>.Instance), NullLogger.Instance);
        await cluster.StartAsync(ct);
        var connectionString = cluster.ConnectionString();
        var acks = new ConcurrentQueue<(string Address, string Mac, int Phase)>();
        int phase = 0; // 0 before the loss, 1 while the database is down, 2 after it is back
        using var sniffer = CrashTests.StartProcess("/usr/bin/python3", [Path.Combine(AppContext.BaseDirectory, "Integration", "ack_sniffer.py"), network.HostInterface]);
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
                acks.Enqueue((address, mac, Volatile.Read(ref phase)));
            }
        };
        sniffer.BeginOutputReadLine();
        await snifferReady.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);

        var provisioningPort = ApplianceProcess.FreeTcpPort();
        var managementPort = ApplianceProcess.FreeTcpPort();
        System.Diagnostics.Process? server = null;
        System.Diagnostics.Process? perfdhcp = null;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{provisioningPort}"), Timeout = TimeSpan.FromSeconds(10) };
        // The management listener is HTTPS with the appliance's own certificate, on loopback only in this test.
        using var metricsHandler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        using var metrics = new HttpClient(metricsHandler) { BaseAddress = new Uri($"https://127.0.0.1:{managementPort}"), Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            server = await CrashTests.StartServerAsync(network, connectionString, data.Path, tgt, ct,
                "--Listeners:Provisioning:Port", provisioningPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--Listeners:Management:Port", managementPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--Readiness:ProbeInterval=00:00:00.500", "--Readiness:ProbeTimeout=00:00:02", "--Readiness:FailureThreshold=2");
            Assert.Equal(HttpStatusCode.OK, (await Eventually.UntilAsync(() => ReadyAsync(http), r => r.Status == HttpStatusCode.OK, TimeSpan.FromSeconds(120))).Status);
            perfdhcp = network.Start("perfdhcp", "-4", "-l", network.PeerInterface, "-r", "100", "-R", "200", "-p", "600");
            Assert.True(await Eventually.UntilAsync(() => Task.FromResult(!acks.IsEmpty), done => done, TimeSpan.FromSeconds(60)), "no ACK before the database stopped");

            // The database goes away: readiness closes and names it; blades are held, not answered.
            await cluster.StopAsync(ct);
            var (status, body) = await Eventually.UntilAsync(() => ReadyAsync(http), r => r.Status == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(60));
            Assert.True(status == HttpStatusCode.ServiceUnavailable, $"readiness stayed open with the database stopped: {(int)status} {body}");
            Assert.Contains("\"database\"", body, StringComparison.Ordinal);
            Assert.Contains("\"unavailable\"", body, StringComparison.Ordinal);
            // Answers in flight when it closed (their writes failing) settle, then nothing is ACKed for a while.
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            Volatile.Write(ref phase, 1);
            var heldBefore = await HeldAsync(metrics);
            var held = await Eventually.UntilAsync(() => HeldAsync(metrics), h => h > heldBefore + 50, TimeSpan.FromSeconds(60));
            Assert.True(held > heldBefore + 50, $"DHCP answers were not held while not ready ({heldBefore} → {held})");

            // Back: readiness reopens and leases flow again.
            Volatile.Write(ref phase, 2);
            NpgsqlConnection.ClearAllPools(); // this process's own pooled connections died with the server
            await cluster.StartAsync(ct);
            var reopened = await Eventually.UntilAsync(() => ReadyAsync(http), r => r.Status == HttpStatusCode.OK, TimeSpan.FromSeconds(90));
            Assert.True(reopened.Status == HttpStatusCode.OK, $"readiness did not reopen after the database came back: {reopened.Body}");
            var after = await Eventually.UntilAsync(() => Task.FromResult(acks.Count(a => a.Phase == 2)), n => n >= 20, TimeSpan.FromSeconds(90));
            Assert.True(after >= 20, $"only {after} ACKs after the database came back");
            CrashTests.Stop(perfdhcp);
            perfdhcp.Dispose();
            perfdhcp = null;
            await Task.Delay(500, ct);
        }
        finally
        {
            CrashTests.Stop(perfdhcp);
            CrashTests.Stop(server);
            CrashTests.Stop(sniffer);
            NpgsqlConnection.ClearAllPools();
        }

        try
        {
            Assert.DoesNotContain(acks, a => a.Phase == 1);
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
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await cluster.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<(HttpStatusCode Status, string Body)> ReadyAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync("/health/ready", TestContext.Current.CancellationToken);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
        catch (HttpRequestException ex)
        {
            return (0, ex.Message);
        }
    }

    /// <summary><c>bp_readiness_held_total{service="dhcp"}</c> from the management listener's <c>/metrics</c>.</summary>
    private static async Task<double> HeldAsync(HttpClient metrics)
    {
        var text = await metrics.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("bp_readiness_held_total{", StringComparison.Ordinal) && l.Contains("service=\"dhcp\"", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
