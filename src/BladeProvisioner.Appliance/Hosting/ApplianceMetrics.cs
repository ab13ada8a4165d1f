using System.Diagnostics.Metrics;
using BladeProvisioner.Core.Readiness;
using BladeProvisioner.Data;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Appliance.Hosting;

/// <summary>Appliance-wide gauges: readiness, and counts by state read from the database at scrape time.</summary>
internal sealed class ApplianceMetrics
{
    public ApplianceMetrics(IMeterFactory meters, ApplianceReadiness readiness, IDbContextFactory<ApplianceDbContext> contexts)
    {
        var meter = meters.Create("BladeProvisioner.Appliance");
        ReadinessMetrics.Publish();
        meter.CreateObservableGauge("bp.ready", () => readiness.IsReady ? 1 : 0, description: "1 when the appliance answers blades");
        meter.CreateObservableGauge(
            "bp.blades",
            () => Counts(contexts, db => db.Blades.GroupBy(b => b.State).Select(g => new { Key = g.Key.ToString(), Count = g.Count() }).ToList().Select(x => (x.Key, x.Count)), readiness),
            description: "Blades by state");
        meter.CreateObservableGauge(
            "bp.jobs",
            () => Counts(contexts, db => db.Jobs.GroupBy(j => j.State).Select(g => new { Key = g.Key.ToString(), Count = g.Count() }).ToList().Select(x => (x.Key, x.Count)), readiness),
            description: "Jobs by state");
    }

    private static IEnumerable<Measurement<int>> Counts(
        IDbContextFactory<ApplianceDbContext> contexts, Func<ApplianceDbContext, IEnumerable<(string State, int Count)>> query, ApplianceReadiness readiness)
    {
        if (!readiness.IsReady)
        {
            return [];
        }

        using var db = contexts.CreateDbContext();
        return [.. query(db).Select(x => new Measurement<int>(x.Count, new KeyValuePair<string, object?>("state", x.State)))];
    }
}
