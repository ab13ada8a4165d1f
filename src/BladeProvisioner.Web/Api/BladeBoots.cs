using System.Text.Json;
using BladeProvisioner.Core.Blades;
using BladeProvisioner.Data;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Web.Api;

/// <summary>
/// Each blade's latest boot (<see cref="BladeBoot"/>) read from its timeline: one statement for a page of blades, the
/// newest <see cref="EventsPerBlade"/> boot-stage events of each (restarts, DHCP, sanboot, iSCSI login and logout)
/// through the (blade_id, at) index. The API's blade view and the blade page read the same answer.
/// </summary>
internal static class BladeBoots
{
    /// <summary>A boot is a handful of these (a restart, two DHCP exchanges of four messages, a sanboot, a login).</summary>
    public const int EventsPerBlade = 64;

    public static async Task<Dictionary<long, BladeBoot>> LatestAsync(ApplianceDbContext db, IReadOnlyCollection<long> bladeIds, CancellationToken ct)
    {
        var result = new Dictionary<long, BladeBoot>();
        if (bladeIds.Count == 0)
        {
            return result;
        }

        var ids = bladeIds.Distinct().ToArray();
        var kinds = BladeBootReader.Kinds.ToArray();
        var rows = await db.Database.SqlQuery<StageRow>($"""
            SELECT b.id AS "BladeId", e.at AS "At", e.kind AS "Kind", e.details::text AS "Details"
            FROM unnest({ids}) AS b(id)
            CROSS JOIN LATERAL (
                SELECT at, kind, details FROM events
                WHERE blade_id = b.id AND (kind LIKE 'dhcp.%' OR kind = ANY({kinds}))
                ORDER BY at DESC
                LIMIT {EventsPerBlade}) e
            """).ToListAsync(ct);
        foreach (var group in rows.GroupBy(r => r.BladeId))
        {
            if (BladeBootReader.Latest(group.Select(ToStage)) is { } boot)
            {
                result[group.Key] = boot;
            }
        }

        return result;
    }

    public static async Task<BladeBoot?> LatestAsync(ApplianceDbContext db, long bladeId, CancellationToken ct) =>
        (await LatestAsync(db, [bladeId], ct)).GetValueOrDefault(bladeId);

    private static BootStage ToStage(StageRow row)
    {
        if (row.Details is null || row.Kind is not (BladeBootReader.IscsiLogin or BladeBootReader.IscsiLogout))
        {
            return new BootStage(row.At, row.Kind);
        }

        try
        {
            using var doc = JsonDocument.Parse(row.Details);
            var root = doc.RootElement;
            return new BootStage(row.At, row.Kind, Text(root, "address"), Text(root, "initiator"), Text(root, "session"));
        }
        catch (JsonException)
        {
            return new BootStage(row.At, row.Kind);
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    internal sealed class StageRow
    {
        public long BladeId { get; set; }
        public DateTimeOffset At { get; set; }
        public required string Kind { get; set; }
        public string? Details { get; set; }
    }
}
