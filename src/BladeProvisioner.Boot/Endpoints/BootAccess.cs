using System.Net;
using System.Security.Cryptography;
using BladeProvisioner.Core.Leases;
using Npgsql;

namespace BladeProvisioner.Boot.Endpoints;

/// <summary>
/// Who may receive a blade's sanboot script (it carries CHAP secrets): a request from the address the DHCP server
/// leased to that blade's boot MAC, or one carrying a one-time token that an earlier script of that same blade
/// carried. Tokens live in the database, so any node can check them, and each is spent on first use.
/// </summary>
public sealed class BootAccess(NpgsqlDataSource dataSource, ILeaseDirectory leases, TimeProvider time)
{
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(30);

    public async Task<bool> IsFromLeasedAddressAsync(string mac, IPAddress? remote, CancellationToken ct)
    {
        if (remote is null)
        {
            return false;
        }

        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        return await leases.IsBoundToAsync(mac, remote, ct);
    }

    /// <summary>A fresh one-time token for the blade's next request.</summary>
    public async Task<string> IssueAsync(long bladeId, CancellationToken ct)
    {
        var token = Base64Url(RandomNumberGenerator.GetBytes(24));
        await using var cmd = dataSource.CreateCommand(
            "INSERT INTO boot_tokens (token_hash, blade_id, expires_at) VALUES ($1, $2, $3)");
        cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = Hash(token) });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = bladeId });
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() + TokenLifetime });
        await cmd.ExecuteNonQueryAsync(ct);
        return token;
    }

    /// <summary>Spends the token if it belongs to this blade and is unexpired and unused.</summary>
    public async Task<bool> TrySpendAsync(long bladeId, string? token, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 64)
        {
            return false;
        }

        await using var cmd = dataSource.CreateCommand(
            "UPDATE boot_tokens SET used_at = $3 WHERE token_hash = $1 AND blade_id = $2 AND used_at IS NULL AND expires_at > $3");
        cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = Hash(token) });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = bladeId });
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>Only a hash is stored: a database dump does not hand out valid tokens.</summary>
    private static byte[] Hash(string token) => SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(token));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
