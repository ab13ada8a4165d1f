using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BladeProvisioner.Data.Migrations;

/// <summary>
/// Brings a database to the current schema. Holds a PostgreSQL advisory lock for the whole run, so appliance nodes
/// starting together on one database migrate it once: the others wait, then find nothing left to do. Schemas that
/// libraries own (<see cref="ISchemaInstaller"/>) are installed after the migrations, under the same lock.
/// </summary>
public sealed partial class MigrationRunner(ILogger<MigrationRunner> logger, IEnumerable<ISchemaInstaller>? installers = null)
{
    /// <summary>Advisory lock key: "BPMIGRAT" as a 64-bit number.</summary>
    private const long LockKey = 0x4250_4D49_4752_4154;

    [GeneratedRegex(@"\.Migrations\.(?<version>\d{4})_(?<name>[a-z0-9_]+)\.sql$")]
    private static partial Regex ResourcePattern();

    /// <summary>Every migration this build knows, in order.</summary>
    internal static IReadOnlyList<Migration> All { get; } = Discover();

    public static int LatestVersion => All[^1].Version;

    /// <summary>Applies what is missing; returns the versions applied by this call.</summary>
    public async Task<IReadOnlyList<int>> MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_lock($1)", conn) { Parameters = { new() { Value = LockKey } } })
        {
            await lockCmd.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await using (var create = new NpgsqlCommand(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), applied_by text NOT NULL)",
                conn))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            var applied = new HashSet<int>();
            await using (var read = new NpgsqlCommand("SELECT version FROM schema_migrations", conn))
            await using (var r = await read.ExecuteReaderAsync(cancellationToken))
            {
                while (await r.ReadAsync(cancellationToken))
                {
                    applied.Add(r.GetInt32(0));
                }
            }

            var done = new List<int>();
            foreach (var m in All.Where(m => !applied.Contains(m.Version)))
            {
                LogApplying(logger, m.Version, m.Name);
                await using var tx = await conn.BeginTransactionAsync(cancellationToken);
                await m.ApplyAsync(conn, tx, cancellationToken);
                await using (var mark = new NpgsqlCommand("INSERT INTO schema_migrations (version, name, applied_by) VALUES ($1, $2, $3)", conn, tx))
                {
                    mark.Parameters.Add(new() { Value = m.Version });
                    mark.Parameters.Add(new() { Value = m.Name });
                    mark.Parameters.Add(new() { Value = Environment.MachineName + ":" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) });
                    await mark.ExecuteNonQueryAsync(cancellationToken);
                }

                await tx.CommitAsync(cancellationToken);
                done.Add(m.Version);
            }

            LogDone(logger, done.Count, LatestVersion);
            foreach (var installer in installers ?? [])
            {
                LogInstalling(logger, installer.Name);
                await installer.InstallAsync(conn, cancellationToken);
            }

            return done;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", conn) { Parameters = { new() { Value = LockKey } } };
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static List<Migration> Discover()
    {
        var assembly = typeof(MigrationRunner).Assembly;
        var list = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var match = ResourcePattern().Match(resource);
            if (!match.Success)
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            list.Add(new SqlMigration(int.Parse(match.Groups["version"].Value, CultureInfo.InvariantCulture), match.Groups["name"].Value, reader.ReadToEnd()));
        }

        var duplicate = list.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Two migrations share version {duplicate.Key}: {string.Join(", ", duplicate.Select(m => m.Name))}.");
        }

        return [.. list.OrderBy(m => m.Version)];
    }

    [LoggerMessage(EventId = DataEventIds.MigrationApplying, Level = LogLevel.Information, Message = "Applying schema migration {Version:D4} {Name}")]
    private static partial void LogApplying(ILogger logger, int version, string name);

    [LoggerMessage(EventId = DataEventIds.MigrationDone, Level = LogLevel.Information, Message = "Schema up to date: {Applied} migration(s) applied, now at version {Version}")]
    private static partial void LogDone(ILogger logger, int applied, int version);

    [LoggerMessage(EventId = DataEventIds.SchemaInstalling, Level = LogLevel.Information, Message = "Installing or upgrading the {Name} schema")]
    private static partial void LogInstalling(ILogger logger, string name);
}
