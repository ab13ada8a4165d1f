using System.Net;
using BladeProvisioner.Core.Leases;
using Npgsql;
using NpgsqlTypes;

namespace BladeProvisioner.Dhcp.Leases;

/// <summary>The lease questions other modules ask, answered from the shared lease table that only this module writes.</summary>
internal sealed class PostgresLeaseDirectory(NpgsqlDataSource dataSource, TimeProvider time) : ILeaseDirectory
{
    private const string IsBound =
        "SELECT EXISTS (SELECT 1 FROM dhcp_leases WHERE mac = $1 AND address = $2 AND state = 'Bound' AND expires_at > $3)";

    private const string Holders =
        "SELECT DISTINCT ON (address) address, blade_id FROM dhcp_leases " +
        "WHERE address = ANY($1) AND state = 'Bound' ORDER BY address, updated_at DESC";

    private const string ReleaseAll =
        "UPDATE dhcp_leases SET state = 'Released', expires_at = $2, updated_at = $2 WHERE mac = $1 AND state IN ('Bound', 'Offered')";

    public async Task<bool> IsBoundToAsync(string mac, IPAddress address, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(address);
        await using var cmd = dataSource.CreateCommand(IsBound);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = mac });
        cmd.Parameters.Add(new NpgsqlParameter { Value = address, NpgsqlDbType = NpgsqlDbType.Inet });
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() });
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async Task<IReadOnlyDictionary<IPAddress, long>> BladesHoldingAsync(IReadOnlyCollection<IPAddress> addresses, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var holders = new Dictionary<IPAddress, long>();
        if (addresses.Count == 0)
        {
            return holders;
        }

        await using var cmd = dataSource.CreateCommand(Holders);
        cmd.Parameters.Add(new NpgsqlParameter { Value = addresses.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Inet });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (!await reader.IsDBNullAsync(1, ct))
            {
                holders[reader.GetFieldValue<IPAddress>(0)] = reader.GetInt64(1);
            }
        }

        return holders;
    }

    public async Task<int> ReleaseAllAsync(string mac, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(ReleaseAll);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = mac });
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() });
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
