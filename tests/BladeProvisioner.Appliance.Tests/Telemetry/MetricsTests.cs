using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests.Telemetry;

/// <summary>
/// <c>/metrics</c> against the series table in docs/operations.md: after real DHCP (busybox udhcpc), real TFTP
/// (tftp-hpa), a malformed and a stalled client, and a blade's boot conversation through provisioning to sanboot, every
/// documented series that traffic moves is served with a non-zero value, every documented fault series is a real
/// instrument of the appliance, and no instrument of the appliance is left undocumented.
/// </summary>
public sealed partial class MetricsTests(PostgresServer postgres)
{
    private const int Subnet = 61;
    private const string BladeMac = "52:54:00:6e:7a:01";

    [GeneratedRegex(@"^\| `(?<series>[a-z_]+)` \| `(?<instrument>[a-z_.]+)` \| (?<type>counter|histogram|gauge) \| (?<moves>traffic|fault|state) \|", RegexOptions.Multiline)]
    private static partial Regex SeriesRow();

    [GeneratedRegex(@"/boot/choose\?blade=(?<blade>\d+)&image=(?<image>\d+)(&token=(?<token>[A-Za-z0-9_-]+))?")]
    private static partial Regex ChooseLink();

    /// <summary>
    /// Two appliances in one process (as in an in-place restart, or this test run): each one's <c>/metrics</c> carries
    /// its own gauges only. A meter listener sees every meter of the process; without the appliance's own-meters view,
    /// the first appliance would also serve the second one's storage series (its directories) and mix its readiness.
    /// </summary>
    [Fact]
    public async Task AnApplianceServesItsOwnGaugesNotThoseOfAnotherHostInTheProcess()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var first = new ApplianceFactory(await postgres.CreateEmptyDatabaseAsync("metricsfirst"));
        await first.Services.WaitReadyAsync(ct);
        await using var second = new ApplianceFactory(await postgres.CreateEmptyDatabaseAsync("metricssecond"));
        await second.Services.WaitReadyAsync(ct);
        using var firstApi = first.CreateClient();
        using var secondApi = second.CreateClient();

        foreach (var (own, other, api) in new[] { (first, second, firstApi), (second, first, secondApi) })
        {
            var scrape = await api.GetStringAsync("/metrics", ct);
            Assert.Contains($"directory=\"{own.DataDirectory}", scrape, StringComparison.Ordinal);
            Assert.DoesNotContain($"directory=\"{other.DataDirectory}", scrape, StringComparison.Ordinal);
            Assert.Single(Regex.Matches(scrape, @"^bp_ready\{", RegexOptions.Multiline));
        }
    }

    [Fact]
    public async Task EveryDocumentedSeriesIsServedAfterRealDhcpTftpAndBootTraffic()
    {
        Prerequisites.RequireProgram("/bin/busybox");
        Prerequisites.RequireProgram("/usr/bin/tftp");
        Prerequisites.RequireProgram("/usr/bin/python3");
        Prerequisites.RequireProgram("/usr/sbin/sfdisk");
        var ct = TestContext.Current.CancellationToken;
        var documented = Documented();
        Assert.True(documented.Count >= 20, $"the series table in docs/operations.md has {documented.Count} rows");

        // Every instrument the appliance publishes, seen in-process as the exporter sees them.
        var published = new HashSet<string>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter.Name.StartsWith("BladeProvisioner.", StringComparison.Ordinal))
            {
                lock (published)
                {
                    published.Add(instrument.Name);
                }
            }
        };
        listener.Start();

        using var network = TestNetwork.Create("bpmetrics", Subnet);
        var cs = await postgres.CreateEmptyDatabaseAsync("metrics");
        await using var factory = new ApplianceFactory(cs, new Dictionary<string, string>
        {
            ["Dhcp:Enabled"] = "true",
            ["Dhcp:Interfaces:0:Name"] = network.HostInterface,
            ["Dhcp:Scopes:0:Name"] = "metrics",
            ["Dhcp:Scopes:0:Subnet"] = $"10.99.{Subnet}.0/24",
            ["Dhcp:Scopes:0:Ranges:0"] = $"10.99.{Subnet}.10-10.99.{Subnet}.250",
            ["Dhcp:Scopes:0:LeaseTime"] = "01:00:00",
            ["Tftp:Enabled"] = "true",
            ["Tftp:Interfaces:0"] = network.HostInterface,
            ["Targets:SessionPollInterval"] = "00:00:00.500",
        });
        factory.UseKestrel(ApplianceProcess.FreeTcpPort());
        factory.StartServer();
        await factory.Services.WaitReadyAsync(ct);
        using var api = factory.CreateClient();
        using var anonymous = new HttpClient { BaseAddress = api.BaseAddress };

        // DHCP: a real client's DORA, a malformed datagram, a NAK. TFTP: a real client's download and a missing file,
        // a malformed datagram, a stalled client the server retransmits to.
        var dhcp = network.Exec(TimeSpan.FromSeconds(90), "busybox", "udhcpc", "-i", network.PeerInterface, "-n", "-q", "-f", "-t", "10", "-T", "2", "-s", "/bin/true");
        Assert.True(dhcp.ExitCode == 0, $"udhcpc: {dhcp.Stdout}{dhcp.Stderr}\n{factory.Log.Read()}");
        var local = Path.Combine(factory.DataDirectory, "fetched.kpxe");
        var tftp = network.Exec(TimeSpan.FromSeconds(90), "tftp", "-m", "binary", network.HostAddress, "-c", "get", "undionly.kpxe", local);
        Assert.True(tftp.ExitCode == 0 && new FileInfo(local).Length > 0, $"tftp: {tftp.Stdout}{tftp.Stderr}");
        network.Exec(TimeSpan.FromSeconds(60), "tftp", "-m", "binary", network.HostAddress, "-c", "get", "no-such-file", local + ".missing");
        var odd = network.Exec(TimeSpan.FromSeconds(60), "python3", Path.Combine(AppContext.BaseDirectory, "Telemetry", "odd_traffic.py"), network.HostAddress, "52:54:00:6e:7a:99");
        Assert.True(odd.ExitCode == 0, odd.Stderr);

        // A blade's boot conversation through provisioning to its sanboot script, and one refused request.
        await ProvisionAsync(api, factory, cs, ct);

        var scrape = await Eventually.UntilAsync(
            () => anonymous.GetStringAsync("/metrics", ct),
            text => documented.Where(d => d.Moves == "traffic").All(d => Value(text, d) > 0),
            TimeSpan.FromSeconds(60));
        foreach (var d in documented)
        {
            lock (published)
            {
                Assert.True(published.Contains(d.Instrument), $"documented {d.Series} ({d.Instrument}) is no instrument of the appliance");
            }

            if (d.Moves == "traffic")
            {
                Assert.True(Value(scrape, d) > 0, $"{d.Series} is not served with a non-zero value:\n{scrape}");
            }
            else if (d.Moves == "state")
            {
                Assert.True(Value(scrape, d) >= 0, $"{d.Series} is not served:\n{scrape}");
            }
        }

        lock (published)
        {
            var undocumented = published.Except(documented.Select(d => d.Instrument)).ToList();
            Assert.True(undocumented.Count == 0, $"instruments missing from the table in docs/operations.md: {string.Join(", ", undocumented)}");
        }

        // The framework's own request metrics carry the boot conversation's routes.
        Assert.Contains("http_route=\"/boot/blade\"", scrape, StringComparison.Ordinal);
    }

    private static async Task ProvisionAsync(HttpClient api, ApplianceFactory factory, string cs, CancellationToken ct)
    {
        using var ipxe = new HttpClient { BaseAddress = api.BaseAddress };
        var image = await TestImages.ImportAsync(api, factory, "metrics-image", "Bios", ct);
        var menu = await ipxe.GetStringAsync(await TestBoot.IdentifyPathAsync(factory.Services, BladeMac.Replace(':', '-'), "serial=SN-M1&platform=pcbios&buildarch=i386"), ct);
        var choose = ChooseLink().Matches(menu).Single(m => m.Groups["image"].Value == image.ToString(CultureInfo.InvariantCulture));
        var progress = await ipxe.GetStringAsync(choose.Value, ct);
        var bladeId = choose.Groups["blade"].Value;
        Assert.Contains("/boot/status?blade=", progress, StringComparison.Ordinal);
        var status = string.Empty;
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (!status.Contains("reboot", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250, ct);
            status = await ipxe.GetStringAsync(TestBoot.StatusPath(status.Length == 0 ? progress : status), ct);
        }

        Assert.Contains("reboot", status, StringComparison.Ordinal);
        var sanboot = await ipxe.GetStringAsync(await TestBoot.IdentifyPathAsync(factory.Services, BladeMac, "platform=pcbios&buildarch=i386"), ct);
        Assert.Contains("sanboot", sanboot, StringComparison.Ordinal);

        // The blade logs in with the script's credentials (Active), then its session ends (Provisioned again).
        var volume = (await api.GetFromJsonAsync<List<VolumeDto>>($"/api/volumes?bladeId={bladeId}", JsonDefaults.Options, ct))!.Single();
        using (var writer = DataPlane.BladeWriter.Start(
            $"127.0.0.1:{factory.PortalPort}", volume.TargetIqn, Setting(sanboot, "initiator-iqn"), Setting(sanboot, "username"), Setting(sanboot, "password"),
            Setting(sanboot, "reverse-username"), Setting(sanboot, "reverse-password"), TimeSpan.FromMilliseconds(200)))
        {
            var active = await Eventually.UntilAsync(
                async () => (await api.GetFromJsonAsync<BladeDto>($"/api/blades/{bladeId}", JsonDefaults.Options, ct))!, b => b.State == "Active", TimeSpan.FromSeconds(60));
            Assert.Equal("Active", active.State);
        }

        var ended = await Eventually.UntilAsync(
            async () => (await api.GetFromJsonAsync<BladeDto>($"/api/blades/{bladeId}", JsonDefaults.Options, ct))!, b => b.State == "Provisioned", TimeSpan.FromSeconds(60));
        Assert.Equal("Provisioned", ended.State);
        using var denied = await ipxe.GetAsync($"/boot/blade?mac={BladeMac}&platform=pcbios", ct);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        // An operator's restart through a BMC that does not answer (nothing listens on port 1): refused, and counted.
        using (var patched = await api.PatchAsJsonAsync($"/api/blades/{bladeId}", new { powerDriver = "Redfish", bmcAddress = "127.0.0.1:1", bmcUsername = "admin", bmcPassword = "bmc-pass-123" }, ct))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }

        using var restart = await api.PostAsync($"/api/blades/{bladeId}/restart", null, ct);
        Assert.False(restart.IsSuccessStatusCode, await restart.Content.ReadAsStringAsync(ct));
        Assert.NotNull(await api.GetFromJsonAsync<List<BladeDto>>("/api/blades", JsonDefaults.Options, ct));
    }

    private static string Setting(string script, string name) =>
        Regex.Match(script, $"^set {Regex.Escape(name)} (\\S+)$", RegexOptions.Multiline) is { Success: true } m
            ? m.Groups[1].Value
            : throw new Xunit.Sdk.XunitException($"no 'set {name}' in the script:\n{script}");

    /// <summary>The sum over a series' label sets (histograms: their count), or -1 when it is not served.</summary>
    private static double Value(string scrape, DocumentedSeries d)
    {
        var name = d.Type == "histogram" ? d.Series + "_count" : d.Series;
        double sum = 0;
        var found = false;
        foreach (var line in scrape.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(name, StringComparison.Ordinal) || line.Length <= name.Length || line[name.Length] is not ('{' or ' '))
            {
                continue;
            }

            var value = line[(line.LastIndexOf('}') is var close and > 0 ? close + 1 : name.Length)..].Trim().Split(' ')[0];
            sum += double.Parse(value, CultureInfo.InvariantCulture);
            found = true;
        }

        return found ? sum : -1;
    }

    private static List<DocumentedSeries> Documented()
    {
        var text = File.ReadAllText(Path.Combine(ApplianceProcess.RepositoryRoot(), "docs", "operations.md"));
        return [.. SeriesRow().Matches(text).Select(m => new DocumentedSeries(
            m.Groups["series"].Value, m.Groups["instrument"].Value, m.Groups["type"].Value, m.Groups["moves"].Value))];
    }

    private sealed record DocumentedSeries(string Series, string Instrument, string Type, string Moves);
}
