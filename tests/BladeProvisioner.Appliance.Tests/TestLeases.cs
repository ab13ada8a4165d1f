using Npgsql;

namespace BladeProvisioner.Appliance.Tests;

internal static class TestLeases
{
    /// <summary>
    /// Makes <paramref name="address"/> the bound lease of <paramref name="mac"/>, as the DHCP server would after an
    /// ACK: the boot endpoints then treat calls from that address as the blade's own.
    /// </summary>
    public static async Task BindAsync(string connectionString, string mac, string address, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        await using var batch = new NpgsqlBatch(conn)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("DELETE FROM dhcp_leases WHERE mac = $1") { Parameters = { new() { Value = mac } } },
                new NpgsqlBatchCommand(
                    "INSERT INTO dhcp_leases (scope, address, mac, state, expires_at, updated_at) " +
                    "VALUES ('test', $1::inet, $2, 'Bound', now() + interval '1 hour', now())")
                {
                    Parameters = { new() { Value = address }, new() { Value = mac } },
                },
            },
        };
        await batch.ExecuteNonQueryAsync(ct);
    }
}
