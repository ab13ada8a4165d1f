using System.Net;
using BladeProvisioner.Core.Boot;
using Microsoft.Extensions.Options;
using Npgsql;

namespace BladeProvisioner.Boot.Endpoints;

/// <summary>
/// The one-time tokens that carry a blade's conversation from one script to the next once its boot ticket admitted it
/// (see <see cref="BootTickets"/>). A token is issued only inside an admitted conversation, for that blade and for the
/// address that conversation runs from, and is spent on first use: knowing a blade's id, or calling from its address,
/// gets nothing. Tokens live in the database, so any node can check them.
/// </summary>
public sealed class BootAccess(NpgsqlDataSource dataSource, IOptions<BootOptions> options, TimeProvider time)
{
    /// <summary>A fresh one-time token for the blade's next request, from <paramref name="address"/> only.</summary>
    public async Task<string> IssueAsync(long bladeId, IPAddress address, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(address);
        var token = BootSecrets.New();
        await using var cmd = dataSource.CreateCommand(
            "INSERT INTO boot_tokens (token_hash, blade_id, address, expires_at) VALUES ($1, $2, $3, $4)");
        cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = BootSecrets.Hash(token) });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = bladeId });
        cmd.Parameters.Add(new NpgsqlParameter<IPAddress> { TypedValue = address });
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() + options.Value.TokenLifetime });
        await cmd.ExecuteNonQueryAsync(ct);
        return token;
    }

    /// <summary>Spends the token if it was issued for this blade and this address and is unexpired and unused.</summary>
    public async Task<bool> TrySpendAsync(long bladeId, string? token, IPAddress? address, CancellationToken ct)
    {
        if (!BootSecrets.IsWellFormed(token) || address is null)
        {
            return false;
        }

        await using var cmd = dataSource.CreateCommand(
            "UPDATE boot_tokens SET used_at = $4 WHERE token_hash = $1 AND blade_id = $2 AND address = $3 AND used_at IS NULL AND expires_at > $4");
        cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = BootSecrets.Hash(token!) });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = bladeId });
        cmd.Parameters.Add(new NpgsqlParameter<IPAddress> { TypedValue = address });
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }
}
