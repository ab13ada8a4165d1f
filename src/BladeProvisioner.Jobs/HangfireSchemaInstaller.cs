using BladeProvisioner.Data.Migrations;
using Hangfire.PostgreSql;
using Npgsql;

namespace BladeProvisioner.Jobs;

/// <summary>
/// Hangfire's PostgreSQL storage objects in their own schema, installed (and upgraded, when a newer storage package
/// brings new scripts) by the storage library's own installer while the appliance's migration lock is held.
/// </summary>
internal sealed class HangfireSchemaInstaller : ISchemaInstaller
{
    public const string Schema = "hangfire";

    public string Name => "Hangfire job storage";

    public Task InstallAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        PostgreSqlObjectsInstaller.Install(connection, Schema);
        return Task.CompletedTask;
    }
}
