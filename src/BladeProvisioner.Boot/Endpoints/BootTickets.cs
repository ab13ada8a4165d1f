using System.Net;
using BladeProvisioner.Core.Boot;
using Microsoft.Extensions.Options;
using Npgsql;

namespace BladeProvisioner.Boot.Endpoints;

/// <summary>
/// Issues and spends boot tickets (<see cref="IBootTickets"/>) in the cluster-wide <c>boot_tickets</c> table: one
/// INSERT on the DHCP answer path, nothing more. Tickets an hour past expiry are deleted by the hourly retention job
/// (<c>timeline.retention</c>), with the spent conversation tokens.
/// </summary>
public sealed class BootTickets(NpgsqlDataSource dataSource, IOptions<BootOptions> options, TimeProvider time) : IBootTickets
{
    public async Task<string> IssueAsync(BootTicketGrant grant, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(grant);
        var now = time.GetUtcNow();
        var ticket = BootSecrets.New();
        await using var cmd = dataSource.CreateCommand(
            "INSERT INTO boot_tickets (token_hash, mac, address, via, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)");
        cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = BootSecrets.Hash(ticket) });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = grant.Mac });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)grant.Address ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Inet });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = grant.Via });
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now + options.Value.TicketLifetime });
        await cmd.ExecuteNonQueryAsync(ct);
        return ticket;
    }

    /// <summary>
    /// Spends the ticket if it was issued for <paramref name="mac"/>, is unexpired and unused, and was issued for
    /// <paramref name="address"/> (a ticket issued without an address binds to the first address that spends it).
    /// </summary>
    public async Task<bool> TrySpendAsync(string? ticket, string mac, IPAddress? address, CancellationToken ct)
    {
        if (!BootSecrets.IsWellFormed(ticket) || address is null)
        {
            return false;
        }

        await using var cmd = dataSource.CreateCommand(
            "UPDATE boot_tickets SET used_at = $4, address = COALESCE(address, $3) "
            + "WHERE token_hash = $1 AND mac = $2 AND (address IS NULL OR address = $3) AND used_at IS NULL AND expires_at > $4");
        cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = BootSecrets.Hash(ticket!) });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = mac });
        cmd.Parameters.Add(new NpgsqlParameter<IPAddress> { TypedValue = address });
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }
}
