using BladeProvisioner.Core.Readiness;
using BladeProvisioner.Data.Migrations;
using BladeProvisioner.Data.Postgres;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace BladeProvisioner.Data;

/// <summary>
/// First thing the appliance does: start the embedded cluster (when no connection string is configured), wait for the
/// database, migrate it under the advisory lock, then open the "database" readiness gate. Registered before every
/// other hosted service, so nothing touches the database before this returns.
/// </summary>
internal sealed partial class DatabaseStartup(
    NpgsqlDataSource dataSource,
    MigrationRunner migrations,
    ApplianceReadiness readiness,
    IOptions<DatabaseOptions> options,
    ILogger<DatabaseStartup> logger,
    EmbeddedPostgres? embedded = null) : IHostedService
{
    public const string Gate = "database";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (embedded is not null)
        {
            await embedded.StartAsync(cancellationToken);
        }

        await WaitForDatabaseAsync(cancellationToken);
        await migrations.MigrateAsync(dataSource, cancellationToken);
        readiness.Open(Gate);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (embedded is not null && options.Value.StopEmbeddedOnExit)
        {
            // Connections still pooled would hold the shutdown up ("fast" mode disconnects them anyway).
            NpgsqlConnection.ClearAllPools();
            await embedded.StopAsync(cancellationToken);
        }
    }

    private async Task WaitForDatabaseAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + options.Value.ConnectTimeout;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
                return;
            }
            catch (NpgsqlException ex) when (DateTime.UtcNow < deadline)
            {
                LogWaiting(logger, attempt, ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 100 * attempt)), cancellationToken);
            }
        }
    }

    [LoggerMessage(EventId = DataEventIds.DatabaseWaiting, Level = LogLevel.Warning, Message = "Database not reachable yet (attempt {Attempt}): {Reason}")]
    private static partial void LogWaiting(ILogger logger, int attempt, string reason);
}
