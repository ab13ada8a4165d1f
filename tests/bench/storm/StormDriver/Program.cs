using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace BladeProvisioner.Bench.Storm;

/// <summary>
/// A boot storm: N synthetic blades, each its own MAC and SMBIOS UUID, all powered on within --spread seconds, each
/// holding a real blade's whole conversation with whatever answers DHCP on --interface (run it inside the chassis
/// network namespace, as root: it binds port 68 and adds the leased addresses to the interface).
/// <c>StormDriver --interface bpstorm1p --blades 20 --json storm.json</c>
/// Exit code 0 when every blade read its LUN, 1 otherwise. Last line: STORM (label): blades ...; failures ...; e2e p95 ...
/// </summary>
internal static class StormProgram
{
    public static async Task<int> Main(string[] args)
    {
        var options = StormOptions.Parse(args);
        using var dhcp = new DhcpClient(options.Interface);
        var addresses = new AddressBook(options.Interface);
        ThreadPool.SetMinThreads(Math.Max(64, options.Blades), 64);
        using var cts = new CancellationTokenSource(options.BladeTimeout + TimeSpan.FromMinutes(1));
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };

        var wall = Stopwatch.StartNew();
        var blades = Enumerable.Range(1, options.Blades).Select(i => new SyntheticBlade(i, options, dhcp, addresses)).ToList();
        var runs = blades.Select(async b =>
        {
            // Power-on within the spread, independently of each other.
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * options.Spread.TotalMilliseconds), cts.Token);
            return await b.RunAsync(cts.Token);
        }).ToList();
        var results = (await Task.WhenAll(runs)).OrderBy(r => r.Index).ToList();
        wall.Stop();

        Console.Write(StormReport.Table(options.Label, results, wall.Elapsed));
        if (options.Json is { } json)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(
                new { label = options.Label, wallSeconds = wall.Elapsed.TotalSeconds, blades = results },
                new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
        }

        var e2e = results.Where(r => r.Ok).Select(r => r.Stages["end-to-end"]).Order().ToList();
        var failures = results.Count(r => !r.Ok);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"STORM {options.Label}: blades {results.Count}; failures {failures}; retries {results.Sum(r => r.Retries)}; ")
            + string.Create(CultureInfo.InvariantCulture,
            $"e2e p50 {StormReport.Percentile(e2e, 50):0.000} s; e2e p95 {StormReport.Percentile(e2e, 95):0.000} s; e2e max {(e2e.Count > 0 ? e2e[^1] : double.NaN):0.000} s"));
        return failures == 0 ? 0 : 1;
    }
}
