using Npgsql;

namespace BladeProvisioner.Data.Migrations;

/// <summary>
/// Creates Quartz's AdoJobStore tables from the schema script the referenced Quartz assembly carries for PostgreSQL,
/// so the tables always match the Quartz version in use. Quartz itself is configured to validate, never to create.
/// </summary>
internal sealed class QuartzSchemaMigration(int version) : Migration(version, "quartz_job_store")
{
    public const string TablePrefix = "qrtz_";
    private const string ResourceName = "Quartz.Impl.AdoJobStore.Schema.create_postgres.sql";

    public override async Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var assembly = typeof(Quartz.IJob).Assembly;
        await using var stream = assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Quartz {assembly.GetName().Version} carries no '{ResourceName}'.");
        using var reader = new StreamReader(stream);
        var script = await reader.ReadToEndAsync(cancellationToken);

        // {0} is the table prefix, {1} the same without a schema qualifier (for index and constraint names).
        script = script.Replace("{0}", TablePrefix, StringComparison.Ordinal).Replace("{1}", TablePrefix, StringComparison.Ordinal);
        foreach (var statement in Statements(script))
        {
            if (statement.Split('\n').All(l => l.TrimStart().StartsWith("--", StringComparison.Ordinal) || string.IsNullOrWhiteSpace(l)))
            {
                continue;
            }

            await ExecuteAsync(connection, transaction, statement, cancellationToken);
        }
    }

    /// <summary>Statements are separated by a line reading exactly <c>--;;</c>.</summary>
    private static IEnumerable<string> Statements(string script)
    {
        var current = new System.Text.StringBuilder();
        foreach (var line in script.Split('\n'))
        {
            if (line.TrimEnd('\r') == "--;;")
            {
                yield return current.ToString();
                current.Clear();
            }
            else
            {
                current.Append(line).Append('\n');
            }
        }

        yield return current.ToString();
    }
}
