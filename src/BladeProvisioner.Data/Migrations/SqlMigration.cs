using Npgsql;

namespace BladeProvisioner.Data.Migrations;

/// <summary>A migration written as SQL: an embedded resource <c>Migrations/NNNN_name.sql</c>.</summary>
internal sealed class SqlMigration(int version, string name, string sql) : Migration(version, name)
{
    public override Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction, sql, cancellationToken);
}
