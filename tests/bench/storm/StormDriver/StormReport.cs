using System.Globalization;
using System.Text;

namespace BladeProvisioner.Bench.Storm;

/// <summary>Per stage: count, p50, p95, p99, max (nearest rank); then failures, retries and the failures' reasons.</summary>
internal static class StormReport
{
    public static readonly string[] StageOrder =
        ["dhcp-pxe", "tftp", "dhcp-ipxe", "http-menu", "clone-wait", "dhcp-pxe-2", "tftp-2", "dhcp-ipxe-2", "sanboot", "iscsi-read", "end-to-end"];

    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    public static string Table(string label, IReadOnlyList<BladeResult> results, TimeSpan wall)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine(inv, $"{label}: {results.Count} blades, {results.Count(r => r.Ok)} ok, {results.Count(r => !r.Ok)} failed, {results.Sum(r => r.Retries)} retries, wall {wall.TotalSeconds:0.0} s");
        sb.AppendLine(inv, $"{"stage",-12} {"n",5} {"p50",8} {"p95",8} {"p99",8} {"max",8}  (seconds)");
        foreach (var stage in StageOrder)
        {
            var v = results.Where(r => r.Ok && r.Stages.ContainsKey(stage)).Select(r => r.Stages[stage]).Order().ToList();
            if (v.Count > 0)
            {
                sb.AppendLine(inv, $"{stage,-12} {v.Count,5} {Percentile(v, 50),8:0.000} {Percentile(v, 95),8:0.000} {Percentile(v, 99),8:0.000} {v[^1],8:0.000}");
            }
        }

        foreach (var g in results.Where(r => !r.Ok).GroupBy(r => r.Error ?? "incomplete read").OrderByDescending(g => g.Count()).Take(10))
        {
            sb.AppendLine(inv, $"failed x{g.Count()}: {g.Key} (last refusal: {g.First().LastRefusal ?? "none"})");
        }

        return sb.ToString();
    }
}
