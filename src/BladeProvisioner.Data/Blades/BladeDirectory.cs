using System.Collections.Concurrent;
using BladeProvisioner.Core.Blades;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Naming;
using BladeProvisioner.Core.Timeline;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace BladeProvisioner.Data.Blades;

/// <summary>
/// Enrols blades on first sight with one upsert keyed by boot MAC, so two nodes seeing one blade at once create one
/// record. A new blade gets a host name (<c>blade-&lt;id&gt;</c>) and a generated initiator IQN at once.
/// One boot sights a blade several times (DISCOVER and REQUEST from the firmware, again from iPXE): a sighting that
/// repeats the last one written for that MAC within <see cref="RepeatWindow"/> only reads the record.
/// A new MAC is enrolled only within its source's rate and below the ceiling on unclaimed blades
/// (<see cref="EnrolmentOptions"/>); the ceiling is checked and the row inserted under one advisory lock, so nodes
/// sharing the database cannot overshoot it together.
/// </summary>
internal sealed partial class BladeDirectory(
    NpgsqlDataSource dataSource, IqnFactory iqns, ITimeline timeline, TimeProvider time, EnrolmentGate gate, ILogger<BladeDirectory> logger) : IBladeDirectory
{
    private static readonly TimeSpan RepeatWindow = TimeSpan.FromSeconds(15);

    /// <summary>The repeat cache is trimmed of entries older than <see cref="RepeatWindow"/> past this size.</summary>
    private const int RepeatCacheTrimAt = 4096;

    /// <summary>Advisory lock key of new-blade enrolment ("BPEN").</summary>
    private const long EnrolmentLockKey = 0x4250454E;

    /// <summary>
    /// Run after the lock is held, as a statement of its own: a statement's snapshot is taken when it starts, so a count
    /// in the statement that waits for the lock would miss the rows the previous holder inserted.
    /// </summary>
    private const string CeilingSql = """
        SELECT EXISTS (SELECT 1 FROM blades WHERE boot_mac = $1),
               (SELECT count(*) FROM blades WHERE state = 'Discovered' AND claimed_at IS NULL)
        """;

    private readonly ConcurrentDictionary<string, (BladeSighting Sighting, DateTimeOffset At)> _written = new(StringComparer.Ordinal);

    private const string UpsertSql = """
        INSERT INTO blades AS b (boot_mac, smbios_uuid, serial, manufacturer, product, platform, client_architecture,
                                 chassis, slot, location_source, state, state_changed_at, created_at, last_seen_at)
        SELECT $1, $2, $3, $4, $5, $6, $7, free.chassis, free.slot, CASE WHEN free.chassis IS NULL THEN NULL ELSE $10 END,
               'Discovered', $11, $11, $11
        FROM (SELECT CASE WHEN taken THEN NULL ELSE $8 END AS chassis, CASE WHEN taken THEN NULL ELSE $9 END AS slot
              FROM (SELECT EXISTS (SELECT 1 FROM blades o WHERE o.chassis = $8 AND o.slot = $9 AND o.boot_mac <> $1) AS taken) t) free
        ON CONFLICT (boot_mac) DO UPDATE SET
            smbios_uuid = COALESCE(excluded.smbios_uuid, b.smbios_uuid),
            serial = COALESCE(excluded.serial, b.serial),
            manufacturer = COALESCE(excluded.manufacturer, b.manufacturer),
            product = COALESCE(excluded.product, b.product),
            platform = CASE WHEN excluded.platform = 'Unknown' THEN b.platform ELSE excluded.platform END,
            client_architecture = COALESCE(excluded.client_architecture, b.client_architecture),
            chassis = CASE WHEN b.location_source IS NULL OR b.location_source = 'relay' THEN COALESCE(excluded.chassis, b.chassis) ELSE b.chassis END,
            slot = CASE WHEN b.location_source IS NULL OR b.location_source = 'relay' THEN COALESCE(excluded.slot, b.slot) ELSE b.slot END,
            location_source = CASE WHEN excluded.chassis IS NOT NULL AND (b.location_source IS NULL OR b.location_source = 'relay') THEN 'relay' ELSE b.location_source END,
            last_seen_at = excluded.last_seen_at
        RETURNING id, state, hostname, uefi_loader, initiator_iqn, (xmax = 0) AS inserted
        """;

    /// <summary>
    /// A relay says another blade now sits in a slot: blades that held it by an earlier relay sighting have left it
    /// (pulled, replaced). A location an admin set through the API stays, and the newcomer then gets none.
    /// </summary>
    private const string VacateSql = """
        UPDATE blades SET chassis = NULL, slot = NULL, location_source = NULL
        WHERE chassis = $1 AND slot = $2 AND boot_mac <> $3 AND (location_source IS NULL OR location_source = 'relay')
        RETURNING id, boot_mac
        """;

    public async ValueTask<BladeBootProfile> SightAsync(BladeSighting sighting, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sighting);
        var bootMac = MacAddress.Parse(sighting.Mac);
        var mac = bootMac.ToString();
        var now = time.GetUtcNow();
        var seen = sighting with { Address = null };
        if (_written.TryGetValue(mac, out var last) && last.Sighting == seen && now - last.At < RepeatWindow
            && await FindAsync(mac, cancellationToken) is { } known)
        {
            return known;
        }

        bool isKnown = _written.ContainsKey(mac) || await FindAsync(mac, cancellationToken) is not null;
        if (!isKnown && !gate.TryTake(EnrolmentGate.SourceOf(sighting), now))
        {
            throw Refuse(EnrolmentRefusedException.RateLimit, sighting, mac, now);
        }

        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = isKnown ? null : await conn.BeginTransactionAsync(cancellationToken);
        if (tx is not null && !await BelowCeilingAsync(conn, mac, cancellationToken))
        {
            await tx.RollbackAsync(cancellationToken);
            throw Refuse(EnrolmentRefusedException.CapLimit, sighting, mac, now);
        }

        if (Trim(sighting.RelayRemoteId) is { } chassis && Trim(sighting.RelayCircuitId) is { } slot)
        {
            await VacateAsync(conn, chassis, slot, mac, now, cancellationToken);
        }

        long id;
        BladeState state;
        string? hostname;
        UefiLoader loader;
        bool inserted;
        await using (var cmd = new NpgsqlCommand(UpsertSql, conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = mac });
            cmd.Parameters.Add(new NpgsqlParameter { Value = UsableUuid(sighting.SmbiosUuid) is { } u ? u : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            cmd.Parameters.Add(Text(Trim(sighting.Serial)));
            cmd.Parameters.Add(Text(Trim(sighting.Manufacturer)));
            cmd.Parameters.Add(Text(Trim(sighting.Product)));
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sighting.Platform.ToString() });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)sighting.ClientArchitecture ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            cmd.Parameters.Add(Text(Trim(sighting.RelayRemoteId)));
            cmd.Parameters.Add(Text(Trim(sighting.RelayCircuitId)));
            cmd.Parameters.Add(Text(sighting.RelayCircuitId is null && sighting.RelayRemoteId is null ? null : "relay"));
            cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
            await r.ReadAsync(cancellationToken);
            id = r.GetInt64(0);
            state = Enum.Parse<BladeState>(r.GetString(1));
            hostname = r.IsDBNull(2) ? null : r.GetString(2);
            loader = Enum.Parse<UefiLoader>(r.GetString(3));
            inserted = r.GetBoolean(5);
        }

        if (inserted || hostname is null)
        {
            hostname = $"blade-{id}";
            await using var name = new NpgsqlCommand(
                "UPDATE blades SET hostname = COALESCE(hostname, $2), initiator_iqn = COALESCE(initiator_iqn, $3) WHERE id = $1 RETURNING hostname",
                conn);
            name.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
            name.Parameters.Add(new NpgsqlParameter<string> { TypedValue = hostname });
            name.Parameters.Add(new NpgsqlParameter<string> { TypedValue = iqns.Initiator(bootMac) });
            hostname = (string?)await name.ExecuteScalarAsync(cancellationToken) ?? hostname;
        }

        if (tx is not null)
        {
            await tx.CommitAsync(cancellationToken);
        }

        Remember(mac, seen, now);
        if (inserted)
        {
            timeline.Record(new TimelineRecord(sighting.Source, "blade.enrolled", $"New blade {mac} enrolled as {hostname}")
            {
                BladeId = id,
                At = now,
                Details = new Dictionary<string, object?>
                {
                    ["mac"] = mac,
                    ["uuid"] = sighting.SmbiosUuid?.ToString(),
                    ["architecture"] = sighting.ClientArchitecture,
                    ["platform"] = sighting.Platform.ToString(),
                    ["source"] = sighting.Source,
                },
            });
        }

        return new BladeBootProfile(id, mac, state, hostname, loader, inserted);
    }

    /// <summary>Under the enrolment lock (held to the end of the transaction): true when the MAC may be inserted.</summary>
    private async Task<bool> BelowCeilingAsync(NpgsqlConnection conn, string mac, CancellationToken ct)
    {
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", conn))
        {
            lockCmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = EnrolmentLockKey });
            await lockCmd.ExecuteNonQueryAsync(ct);
        }

        await using var cmd = new NpgsqlCommand(CeilingSql, conn);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = mac });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return r.GetBoolean(0) || r.GetInt64(1) < gate.MaxUnclaimed;
    }

    private EnrolmentRefusedException Refuse(string limit, BladeSighting sighting, string mac, DateTimeOffset now)
    {
        var source = EnrolmentGate.SourceOf(sighting);
        if (gate.Refused(limit, now) is { } report)
        {
            var since = report.Since is { } s ? $" since {s:u}" : string.Empty;
            LogRefused(logger, since, report.Cap, report.Rate, mac, source);
            var summary = $"New MACs not enrolled{since}: {report.Cap} over the unclaimed-blade ceiling, {report.Rate} over their source's rate; last {mac} from {source}";
            timeline.Record(new TimelineRecord("enrolment", "enrolment.refused", summary)
            {
                At = now,
                Details = new Dictionary<string, object?>
                {
                    ["cap"] = report.Cap,
                    ["rate"] = report.Rate,
                    ["since"] = report.Since,
                    ["lastMac"] = mac,
                    ["lastSource"] = source,
                    ["maxUnclaimedBlades"] = gate.MaxUnclaimed,
                },
            });
        }

        return new EnrolmentRefusedException(limit, limit == EnrolmentRefusedException.CapLimit
            ? $"The appliance enrols no more new blades: {gate.MaxUnclaimed} unclaimed blades are waiting for an admin (Enrolment:MaxUnclaimedBlades)."
            : $"Too many new blades from {source} this minute (Enrolment:PerSourcePerMinute); try again shortly.");
    }

    private void Remember(string mac, BladeSighting seen, DateTimeOffset now)
    {
        _written[mac] = (seen, now);
        if (_written.Count > RepeatCacheTrimAt)
        {
            foreach (var (key, entry) in _written)
            {
                if (now - entry.At >= RepeatWindow)
                {
                    _written.TryRemove(key, out _);
                }
            }
        }
    }

    [LoggerMessage(EventId = DataEventIds.EnrolmentRefused, Level = LogLevel.Warning,
        Message = "New MACs not enrolled{Since}: {Cap} over the unclaimed-blade ceiling, {Rate} over their source's rate; last {Mac} from {Source}")]
    private static partial void LogRefused(ILogger logger, string since, int cap, int rate, string mac, string source);

    private async Task VacateAsync(NpgsqlConnection conn, string chassis, string slot, string mac, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(VacateSql, conn);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = chassis });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = slot });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = mac });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            timeline.Record(new TimelineRecord("dhcp", "blade.location", $"Chassis {chassis} slot {slot} now holds {mac}: {r.GetString(1)} has left it")
            {
                BladeId = r.GetInt64(0),
                At = now,
            });
        }
    }

    public async ValueTask<BladeBootProfile?> FindAsync(string mac, CancellationToken cancellationToken)
    {
        if (!MacAddress.TryParse(mac, out var parsed))
        {
            return null;
        }

        var normalized = parsed.ToString();

        await using var cmd = dataSource.CreateCommand("SELECT id, state, hostname, uefi_loader FROM blades WHERE boot_mac = $1");
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = normalized });
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await r.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new BladeBootProfile(
            r.GetInt64(0), normalized, Enum.Parse<BladeState>(r.GetString(1)), r.IsDBNull(2) ? null : r.GetString(2), Enum.Parse<UefiLoader>(r.GetString(3)), IsNew: false);
    }

    /// <summary>All-zero and all-one UUIDs are firmware placeholders, not identities.</summary>
    private static Guid? UsableUuid(Guid? uuid) =>
        uuid is { } u && u != Guid.Empty && u != Guid.AllBitsSet ? u : null;

    private static string? Trim(string? s)
    {
        s = s?.Trim();
        return string.IsNullOrEmpty(s) ? null : s.Length > 200 ? s[..200] : s;
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}
