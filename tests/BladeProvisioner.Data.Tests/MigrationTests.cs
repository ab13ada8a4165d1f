using BladeProvisioner.Data.Migrations;
using BladeProvisioner.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace BladeProvisioner.Data.Tests;

public sealed class MigrationTests(PostgresServer postgres)
{
    [Fact]
    public async Task MigratesAnEmptyDatabaseToTheLatestVersion()
    {
        var cs = await postgres.CreateEmptyDatabaseAsync();
        await using var ds = NpgsqlDataSource.Create(cs);
        var applied = await new MigrationRunner(NullLogger<MigrationRunner>.Instance).MigrateAsync(ds, TestContext.Current.CancellationToken);

        Assert.Equal(MigrationRunner.All.Select(m => m.Version), applied);
        var tables = await ScalarListAsync(ds, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
        foreach (var t in new[] { "blades", "donor_images", "boot_volumes", "jobs", "dhcp_leases", "events" })
        {
            Assert.Contains(t, tables);
        }

        Assert.DoesNotContain(tables, t => t.StartsWith("qrtz_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheJobEngineMigrationRemovesQuartzTablesFromAnExistingDatabase()
    {
        var cs = await postgres.CreateDatabaseAsync();
        await using var ds = NpgsqlDataSource.Create(cs);

        // A database from a release that ran Quartz: its job-store tables exist and the engine migration is not applied.
        await using (var cmd = ds.CreateCommand(
            """
            CREATE TABLE qrtz_job_details (sched_name text, job_name text, PRIMARY KEY (sched_name, job_name));
            CREATE TABLE qrtz_triggers (sched_name text, trigger_name text, job_name text,
                                        FOREIGN KEY (sched_name, job_name) REFERENCES qrtz_job_details);
            CREATE TABLE qrtz_locks (sched_name text, lock_name text);
            ALTER TABLE jobs DROP COLUMN engine_job_id;
            DELETE FROM schema_migrations WHERE version = 70;
            """))
        {
            await cmd.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var applied = await new MigrationRunner(NullLogger<MigrationRunner>.Instance).MigrateAsync(ds, TestContext.Current.CancellationToken);

        Assert.Equal([70], applied);
        var tables = await ScalarListAsync(ds, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
        Assert.DoesNotContain(tables, t => t.StartsWith("qrtz_", StringComparison.Ordinal));
        var columns = await ScalarListAsync(ds, "SELECT column_name FROM information_schema.columns WHERE table_name = 'jobs'");
        Assert.Contains("engine_job_id", columns);
    }

    [Fact]
    public async Task SecondRunAppliesNothing()
    {
        var cs = await postgres.CreateDatabaseAsync();
        await using var ds = NpgsqlDataSource.Create(cs);
        var applied = await new MigrationRunner(NullLogger<MigrationRunner>.Instance).MigrateAsync(ds, TestContext.Current.CancellationToken);
        Assert.Empty(applied);
    }

    [Fact]
    public async Task ConcurrentRunnersMigrateOnceWithoutError()
    {
        var cs = await postgres.CreateEmptyDatabaseAsync();
        await using var ds = NpgsqlDataSource.Create(cs);
        var runners = Enumerable.Range(0, 4)
            .Select(_ => new MigrationRunner(NullLogger<MigrationRunner>.Instance).MigrateAsync(ds, TestContext.Current.CancellationToken))
            .ToArray();
        var results = await Task.WhenAll(runners);

        // Exactly one runner applied everything; the others found nothing to do.
        Assert.Single(results, r => r.Count == MigrationRunner.All.Count);
        Assert.Equal(runners.Length - 1, results.Count(r => r.Count == 0));
        var rows = await ScalarListAsync(ds, "SELECT version::text FROM schema_migrations");
        Assert.Equal(MigrationRunner.All.Count, rows.Count);
    }

    private static async Task<List<string>> ScalarListAsync(NpgsqlDataSource ds, string sql)
    {
        await using var cmd = ds.CreateCommand(sql);
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<string>();
        while (await r.ReadAsync())
        {
            list.Add(r.GetString(0));
        }

        return list;
    }
}
