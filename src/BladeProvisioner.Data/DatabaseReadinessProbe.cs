using BladeProvisioner.Core.Readiness;
using Npgsql;

namespace BladeProvisioner.Data;

/// <summary>
/// Readiness of the database after start: one pooled connection and <c>SELECT 1</c>, bounded by the monitor's
/// timeout. A restarted server drops the pooled connections, so a failed probe clears the pool: the next one opens a
/// fresh connection instead of finding a dead one.
/// </summary>
internal sealed class DatabaseReadinessProbe(NpgsqlDataSource dataSource) : IReadinessProbe
{
    public string Dependency => DatabaseStartup.Gate;

    public async Task<string?> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return null;
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            dataSource.Clear();
            return ex.Message;
        }
    }
}
