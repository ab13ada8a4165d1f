using BladeProvisioner.Data.Migrations;
using BladeProvisioner.Data.Postgres;
using BladeProvisioner.Platform.Processes;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace BladeProvisioner.Testing;

/// <summary>
/// A real PostgreSQL cluster for a test assembly, started exactly as the appliance's embedded default starts its own
/// (initdb + pg_ctl, Unix socket only). Each test asks for its own fresh database, so tests never share data.
/// Use as an xunit assembly fixture: <c>[assembly: AssemblyFixture(typeof(PostgresServer))]</c>.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private static int _counter;
    private EmbeddedPostgres? _cluster;

    public string Root { get; } = Path.Combine(Path.GetTempPath(), $"bp-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..24]);

    public EmbeddedPostgres Cluster => _cluster ?? throw new InvalidOperationException("PostgresServer is not started.");

    public async ValueTask InitializeAsync()
    {
        Prerequisites.Require(File.Exists("/usr/sbin/runuser") || File.Exists("/sbin/runuser") || Environment.UserName != "root", "runuser (util-linux)");
        string bin;
        try
        {
            bin = EmbeddedPostgres.FindBinDirectory();
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException("Tests need PostgreSQL server binaries: " + ex.Message, ex);
        }

        _cluster = new EmbeddedPostgres(Root, bin, "postgres", new ProcessRunner(NullLogger<ProcessRunner>.Instance), NullLogger.Instance);
        await _cluster.StartAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            NpgsqlConnection.ClearAllPools();
            try
            {
                await _cluster.StopAsync(CancellationToken.None);
            }
            finally
            {
                TryDelete(Root);
            }
        }
    }

    /// <summary>A new, empty database (no schema).</summary>
    public async Task<string> CreateEmptyDatabaseAsync(string? prefix = null)
    {
        var name = $"{prefix ?? "t"}_{Interlocked.Increment(ref _counter)}_{Guid.NewGuid():N}".ToLowerInvariant();
        name = name[..Math.Min(name.Length, 40)];
        await Cluster.EnsureDatabaseAsync(name, CancellationToken.None);
        return Cluster.ConnectionString(name);
    }

    /// <summary>A new database migrated to the current schema.</summary>
    public async Task<string> CreateDatabaseAsync(string? prefix = null)
    {
        var cs = await CreateEmptyDatabaseAsync(prefix);
        await using var ds = NpgsqlDataSource.Create(cs);
        await new MigrationRunner(NullLogger<MigrationRunner>.Instance).MigrateAsync(ds, CancellationToken.None);
        return cs;
    }

    private static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
