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
        foreach (var t in new[] { "blades", "donor_images", "boot_volumes", "jobs", "dhcp_leases", "events", "qrtz_job_details", "qrtz_triggers", "qrtz_locks" })
        {
            Assert.Contains(t, tables);
        }
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
