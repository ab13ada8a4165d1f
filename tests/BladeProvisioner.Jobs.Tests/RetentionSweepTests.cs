using BladeProvisioner.Core.Readiness;
using BladeProvisioner.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace BladeProvisioner.Jobs.Tests;

/// <summary>The retention sweep on a real PostgreSQL: what it deletes, what it keeps, and that it works in batches.</summary>
public sealed class RetentionSweepTests(PostgresServer postgres)
{
    [Fact]
    public async Task OldEventsAndSpentOrExpiredBootTokensGoStateTransitionsAndLiveTokensStay()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var ds = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync("retention"));
        await ExecAsync(ds, """
            INSERT INTO blades (id, boot_mac, platform, state, state_changed_at, created_at, last_seen_at)
            VALUES (1, '52:54:00:de:00:01', 'Bios', 'Discovered', now(), now(), now());
            -- 1,234 events of boot chatter past the retention (several batches of 100), 10 recent ones,
            -- 3 old state transitions.
            INSERT INTO events (at, actor, kind, summary, blade_id)
            SELECT now() - interval '91 days' - make_interval(secs => g), 'dhcp', 'dhcp.offer', 'old', 1 FROM generate_series(1, 1234) g;
            INSERT INTO events (at, actor, kind, summary, blade_id)
            SELECT now() - interval '89 days' + make_interval(secs => g), 'boot', 'boot.menu', 'recent', 1 FROM generate_series(1, 10) g;
            INSERT INTO events (at, actor, kind, summary, blade_id)
            SELECT now() - interval '400 days', 'alice', 'blade.state', 'Discovered -> Provisioning', 1 FROM generate_series(1, 3);
            INSERT INTO boot_tokens (token_hash, blade_id, address, expires_at, used_at) VALUES
                ('\x01', 1, '10.99.0.9', now() - interval '2 hours', NULL),                   -- expired long ago: goes
                ('\x02', 1, '10.99.0.9', now() + interval '5 minutes', now() - interval '2 hours'), -- spent long ago: goes
                ('\x03', 1, '10.99.0.9', now() - interval '10 minutes', NULL),                -- expired just now: stays for the hour
                ('\x04', 1, '10.99.0.9', now() + interval '5 minutes', NULL);                 -- live: stays
            INSERT INTO boot_tickets (token_hash, mac, via, issued_at, expires_at) VALUES
                ('\x05', '52:54:00:00:00:05', 'dhcp', now() - interval '3 hours', now() - interval '2 hours'), -- goes
                ('\x06', '52:54:00:00:00:06', 'dhcp', now(), now() + interval '2 minutes');                   -- live: stays
            """, ct);

        var readiness = new ApplianceReadiness();
        readiness.Register("test");
        readiness.Open("test");
        var sweep = new RetentionSweep(
            ds, readiness, Options.Create(new RetentionOptions { BatchSize = 100 }), TimeProvider.System, NullLogger<RetentionSweep>.Instance);
        var (events, tokens) = await sweep.SweepAsync(ct);

        Assert.Equal(1234, events);
        Assert.Equal(3, tokens);
        Assert.Equal(1L, await ScalarAsync(ds, "SELECT count(*) FROM boot_tickets WHERE token_hash = '\\x06'", ct));
        Assert.Equal(1L, await ScalarAsync(ds, "SELECT count(*) FROM boot_tickets", ct));
        Assert.Equal(0L, await ScalarAsync(ds, "SELECT count(*) FROM events WHERE summary = 'old'", ct));
        Assert.Equal(10L, await ScalarAsync(ds, "SELECT count(*) FROM events WHERE summary = 'recent'", ct));
        Assert.Equal(3L, await ScalarAsync(ds, "SELECT count(*) FROM events WHERE kind = 'blade.state'", ct));
        Assert.Equal(2L, await ScalarAsync(ds, "SELECT count(*) FROM boot_tokens WHERE token_hash IN ('\\x03', '\\x04')", ct));
        Assert.Equal(2L, await ScalarAsync(ds, "SELECT count(*) FROM boot_tokens", ct));

        // Nothing left to do: a second run deletes nothing.
        Assert.Equal((0L, 0L), await sweep.SweepAsync(ct));

        // Without the audit exception, old state transitions go too.
        var all = new RetentionSweep(
            ds, readiness, Options.Create(new RetentionOptions { KeepStateTransitions = false }), TimeProvider.System, NullLogger<RetentionSweep>.Instance);
        Assert.Equal(3L, (await all.SweepAsync(ct)).Events);
    }

    private static async Task ExecAsync(NpgsqlDataSource ds, string sql, CancellationToken ct)
    {
        await using var cmd = ds.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource ds, string sql, CancellationToken ct)
    {
        await using var cmd = ds.CreateCommand(sql);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
