using Hangfire.PostgreSql;
using Npgsql;

namespace BladeProvisioner.Jobs;

/// <summary>Hangfire's storage takes its connections from the appliance's own data source (one pool, one setup).</summary>
internal sealed class DataSourceConnectionFactory(NpgsqlDataSource dataSource) : IConnectionFactory
{
    public NpgsqlConnection GetOrCreateConnection() => dataSource.CreateConnection();
}
