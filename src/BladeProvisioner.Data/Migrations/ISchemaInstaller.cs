using Npgsql;

namespace BladeProvisioner.Data.Migrations;

/// <summary>
/// A schema owned by a library rather than by the appliance's migrations (the job engine's storage). Its installer
/// runs after the migrations on every start, under the same advisory lock, so nodes starting together install it
/// once; an installer must be idempotent and bring its schema up to the version the library in use expects.
/// </summary>
public interface ISchemaInstaller
{
    /// <summary>Shown in the log.</summary>
    string Name { get; }

    /// <summary>Runs on the connection that holds the migration lock; no transaction is open on it.</summary>
    Task InstallAsync(NpgsqlConnection connection, CancellationToken cancellationToken);
}
