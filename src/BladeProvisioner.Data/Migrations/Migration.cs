using Npgsql;

namespace BladeProvisioner.Data.Migrations;

/// <summary>One schema step, applied once, inside its own transaction, in order of <see cref="Version"/>.</summary>
internal abstract class Migration
{
    protected Migration(int version, string name)
    {
        Version = version;
        Name = name;
    }

    public int Version { get; }
    public string Name { get; }

    public abstract Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken);

    protected static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, transaction);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
