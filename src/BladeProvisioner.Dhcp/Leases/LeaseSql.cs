using System.Net;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Dhcp.Scopes;
using Npgsql;
using NpgsqlTypes;

namespace BladeProvisioner.Dhcp.Leases;

/// <summary>The lease statements. The WHERE of the upsert is the whole allocation rule across nodes.</summary>
internal static class LeaseSql
{
    public const string SelectAll =
        "SELECT scope, address, mac, state, expires_at, client_id, hostname, blade_id, updated_at FROM dhcp_leases";

    public const string ReclaimExpired =
        "UPDATE dhcp_leases SET state = 'Expired', updated_at = now() " +
        "WHERE state IN ('Bound', 'Offered', 'Declined') AND expires_at < now() " +
        "RETURNING scope, address, mac, state, expires_at, client_id, hostname, blade_id, updated_at";

    // RFC 2131 §4.3.1/§4.3.2 on a shared table: a Bind wins if the row is free (released, expired) or is already this
    // MAC's and not declined; a Decline needs the holder or a free row; a Release only the holder.
    private const string Upsert =
        "INSERT INTO dhcp_leases AS d (scope, address, mac, client_id, hostname, blade_id, state, expires_at, updated_at) " +
        "SELECT u.scope, u.address, u.mac, u.client_id, u.hostname, u.blade_id, u.state, u.expires_at, now() " +
        "FROM unnest($1::text[], $2::inet[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::timestamptz[]) " +
        "AS u(scope, address, mac, client_id, hostname, blade_id, state, expires_at) " +
        "ON CONFLICT (scope, address) DO UPDATE SET mac = excluded.mac, client_id = excluded.client_id, " +
        "hostname = excluded.hostname, blade_id = excluded.blade_id, state = excluded.state, " +
        "expires_at = excluded.expires_at, updated_at = excluded.updated_at " +
        "WHERE (excluded.state = 'Bound' AND ((d.mac = excluded.mac AND d.state <> 'Declined') OR d.state IN ('Released', 'Expired') OR d.expires_at < now())) " +
        "OR (excluded.state = 'Declined' AND (d.mac = excluded.mac OR d.state IN ('Released', 'Expired') OR d.expires_at < now())) " +
        "OR (excluded.state = 'Released' AND d.mac = excluded.mac AND d.state = 'Bound') " +
        "RETURNING d.scope, d.address";

    // A MAC holds one lease per scope: the bind that won releases the MAC's other rows there, in the same transaction,
    // so a lease in the victim's MAC at another address cannot stand beside its real one.
    private const string ReleaseOthers =
        "UPDATE dhcp_leases AS d SET state = 'Released', expires_at = now(), updated_at = now() " +
        "FROM unnest($1::text[], $2::inet[], $3::text[]) AS u(scope, address, mac) " +
        "WHERE d.scope = u.scope AND d.mac = u.mac AND d.address <> u.address AND d.state IN ('Bound', 'Offered')";

    /// <summary>Applies the batch in one transaction; returns, per write, whether it won.</summary>
    public static async Task<bool[]> ApplyBatchAsync(NpgsqlConnection connection, List<PendingWrite> batch, CancellationToken cancellationToken)
    {
        var won = new bool[batch.Count];
        var rounds = SplitIntoRounds(batch);
        bool binds = batch.Exists(p => p.Write.Kind == LeaseWriteKind.Bind);
        await using var tx = rounds.Count > 1 || binds ? await connection.BeginTransactionAsync(cancellationToken) : null;
        foreach (var round in rounds)
        {
            await using var cmd = new NpgsqlCommand(Upsert, connection, tx);
            int n = round.Count;
            var scopes = new string[n];
            var addresses = new IPAddress[n];
            var macs = new string[n];
            var clientIds = new string?[n];
            var hostnames = new string?[n];
            var bladeIds = new long?[n];
            var states = new string[n];
            var expires = new DateTime[n];
            var index = new Dictionary<(string, uint), int>(n);
            for (int i = 0; i < n; i++)
            {
                var w = batch[round[i]].Write;
                scopes[i] = w.Scope;
                addresses[i] = Ipv4.ToAddress(w.Address);
                macs[i] = w.Mac;
                clientIds[i] = w.ClientId;
                hostnames[i] = w.Hostname;
                bladeIds[i] = w.BladeId;
                states[i] = w.Kind switch
                {
                    LeaseWriteKind.Bind => nameof(DhcpLeaseState.Bound),
                    LeaseWriteKind.Decline => nameof(DhcpLeaseState.Declined),
                    _ => nameof(DhcpLeaseState.Released),
                };
                expires[i] = w.ExpiresAt.UtcDateTime;
                index[(w.Scope, w.Address)] = round[i];
            }

            cmd.Parameters.Add(new NpgsqlParameter { Value = scopes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = addresses, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Inet });
            cmd.Parameters.Add(new NpgsqlParameter { Value = macs, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = clientIds, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = hostnames, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = bladeIds, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
            cmd.Parameters.Add(new NpgsqlParameter { Value = states, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = expires, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = (reader.GetString(0), Ipv4.ToUInt32(reader.GetFieldValue<IPAddress>(1)));
                if (index.TryGetValue(key, out var at))
                {
                    won[at] = true;
                }
            }
        }

        if (binds)
        {
            await ReleaseOthersAsync(connection, tx, batch, won, cancellationToken);
        }

        if (tx is not null)
        {
            await tx.CommitAsync(cancellationToken);
        }

        return won;
    }

    /// <summary>For each MAC's last winning bind in the batch (per scope), releases its rows at other addresses.</summary>
    private static async Task ReleaseOthersAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, List<PendingWrite> batch, bool[] won, CancellationToken cancellationToken)
    {
        var last = new Dictionary<(string Scope, string Mac), uint>();
        for (int i = 0; i < batch.Count; i++)
        {
            var w = batch[i].Write;
            if (won[i] && w.Kind == LeaseWriteKind.Bind)
            {
                last[(w.Scope, w.Mac)] = w.Address;
            }
        }

        if (last.Count == 0)
        {
            return;
        }

        await using var cmd = new NpgsqlCommand(ReleaseOthers, connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = last.Keys.Select(k => k.Scope).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = last.Values.Select(Ipv4.ToAddress).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Inet });
        cmd.Parameters.Add(new NpgsqlParameter { Value = last.Keys.Select(k => k.Mac).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<IReadOnlyList<LeaseRecord>> ReadRecordsAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        var list = new List<LeaseRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new LeaseRecord(
                reader.GetString(0),
                Ipv4.ToUInt32(reader.GetFieldValue<IPAddress>(1)),
                reader.GetString(2),
                Enum.Parse<DhcpLeaseState>(reader.GetString(3)),
                reader.GetFieldValue<DateTimeOffset>(4))
            {
                ClientId = reader.IsDBNull(5) ? null : reader.GetString(5),
                Hostname = reader.IsDBNull(6) ? null : reader.GetString(6),
                BladeId = reader.IsDBNull(7) ? null : reader.GetInt64(7),
                UpdatedAt = reader.GetFieldValue<DateTimeOffset>(8),
            });
        }

        return list;
    }

    /// <summary>One upsert cannot touch a row twice: writes to the same address go to successive statements, in order.</summary>
    private static List<List<int>> SplitIntoRounds(List<PendingWrite> batch)
    {
        var rounds = new List<List<int>>();
        var seen = new List<HashSet<(string, uint)>>();
        for (int i = 0; i < batch.Count; i++)
        {
            var key = (batch[i].Write.Scope, batch[i].Write.Address);
            int r = seen.Count;
            while (r > 0 && !seen[r - 1].Contains(key))
            {
                r--;
            }

            if (r == rounds.Count)
            {
                rounds.Add([]);
                seen.Add([]);
            }

            rounds[r].Add(i);
            seen[r].Add(key);
        }

        return rounds;
    }
}
