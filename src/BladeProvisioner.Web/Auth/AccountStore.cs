using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Npgsql;

namespace BladeProvisioner.Web.Auth;

/// <summary>Local accounts and API tokens in PostgreSQL (tables <c>users</c> and <c>api_tokens</c>).</summary>
internal sealed class AccountStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    private static readonly PasswordHasher<string> Hasher = new();

    public async Task<long> CountUsersAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT count(*) FROM users");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async Task<IReadOnlyList<UserAccount>> ListUsersAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT id, name, role, created_by, created_at, last_login_at FROM users ORDER BY name");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<UserAccount>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new UserAccount(r.GetInt64(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                r.GetFieldValue<DateTimeOffset>(4), r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5)));
        }

        return list;
    }

    /// <summary>Creates an account. Returns null when the name is taken.</summary>
    public async Task<long?> CreateUserAsync(string name, string role, string password, string? createdBy, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "INSERT INTO users (name, role, password_hash, created_by) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING id");
        cmd.Parameters.Add(new NpgsqlParameter { Value = name });
        cmd.Parameters.Add(new NpgsqlParameter { Value = role });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Hasher.HashPassword(name, password) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)createdBy ?? DBNull.Value });
        return await cmd.ExecuteScalarAsync(ct) is long id ? id : null;
    }

    /// <summary>Creates the first admin only while no account exists (the setup page's guard against a race).</summary>
    public async Task<bool> CreateFirstAdminAsync(string name, string password, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "INSERT INTO users (name, role, password_hash, created_by) SELECT $1, 'admin', $2, 'setup' WHERE NOT EXISTS (SELECT 1 FROM users)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = name });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Hasher.HashPassword(name, password) });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>The role and session version of a live account; null when it no longer exists.</summary>
    public async Task<(string Role, int SessionVersion)?> SessionOfAsync(long id, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT role, session_version FROM users WHERE id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? (r.GetString(0), r.GetInt32(1)) : null;
    }

    /// <summary>
    /// Changes an account's role and/or password; either ends every session of the account (the session version
    /// moves on). Returns false when the account does not exist.
    /// </summary>
    public async Task<bool> UpdateUserAsync(long id, string? role, string? password, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            """
            UPDATE users SET role = COALESCE($2, role),
                             password_hash = COALESCE($3, password_hash),
                             session_version = session_version + 1
            WHERE id = $1
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)role ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var name = password is null ? null : await NameOfAsync(id, ct);
        cmd.Parameters.Add(new NpgsqlParameter
        {
            Value = password is null || name is null ? DBNull.Value : Hasher.HashPassword(name, password),
            NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text,
        });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>Sets a new password by account name (the console's way in); ends the account's sessions.</summary>
    public async Task<bool> SetPasswordAsync(string name, string password, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "UPDATE users SET password_hash = $2, session_version = session_version + 1 WHERE name = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = name });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Hasher.HashPassword(name, password) });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<bool> DeleteUserAsync(long id, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("DELETE FROM users WHERE id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>The account when the password matches; null otherwise (unknown name and wrong password look alike).</summary>
    public async Task<UserAccount?> VerifyPasswordAsync(string name, string password, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT id, name, role, created_by, created_at, last_login_at, password_hash, session_version FROM users WHERE name = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = name });
        UserAccount? user = null;
        string? hash = null;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            if (await r.ReadAsync(ct))
            {
                user = new UserAccount(r.GetInt64(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                    r.GetFieldValue<DateTimeOffset>(4), r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5))
                {
                    SessionVersion = r.GetInt32(7),
                };
                hash = r.GetString(6);
            }
        }

        if (user is null || hash is null || Hasher.VerifyHashedPassword(name, hash, password) == PasswordVerificationResult.Failed)
        {
            return null;
        }

        await using var touch = dataSource.CreateCommand("UPDATE users SET last_login_at = $2 WHERE id = $1");
        touch.Parameters.Add(new NpgsqlParameter { Value = user.Id });
        touch.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await touch.ExecuteNonQueryAsync(ct);
        return user;
    }

    /// <summary>A new random token (returned once, never stored) and its row; it stops working after <paramref name="lifetime"/>.</summary>
    public async Task<(string Token, long Id, DateTimeOffset ExpiresAt)> CreateTokenAsync(
        string name, string role, string createdBy, TimeSpan lifetime, CancellationToken ct)
    {
        var token = "bpt_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var expires = time.GetUtcNow() + lifetime;
        var id = await InsertTokenAsync(name, role, createdBy, token, expires, ct);
        return (token, id ?? throw new InvalidOperationException("A fresh random token collided."), expires);
    }

    /// <summary>
    /// Makes sure a token with this value exists (the bootstrap token from configuration, which lives as long as the
    /// configuration names it). Idempotent.
    /// </summary>
    public async Task EnsureTokenAsync(string name, string role, string createdBy, string token, CancellationToken ct) =>
        await InsertTokenAsync(name, role, createdBy, token, null, ct);

    public async Task<IReadOnlyList<ApiTokenInfo>> ListTokensAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT id, name, role, created_by, created_at, last_used_at, revoked_at, expires_at FROM api_tokens ORDER BY id");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<ApiTokenInfo>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new ApiTokenInfo(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4),
                r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5), r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6))
            {
                ExpiresAt = r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7),
            });
        }

        return list;
    }

    public async Task<bool> RevokeTokenAsync(long id, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>The live token with this value, marking it used; null when unknown, revoked or expired.</summary>
    public async Task<ApiTokenInfo?> FindTokenAsync(string token, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2) " +
            "RETURNING id, name, role, created_by, created_at, last_used_at, revoked_at");
        cmd.Parameters.Add(new NpgsqlParameter { Value = Hash(token) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct)
            ? new ApiTokenInfo(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4), r.GetFieldValue<DateTimeOffset>(5), null)
            : null;
    }

    private async Task<long?> InsertTokenAsync(string name, string role, string createdBy, string token, DateTimeOffset? expires, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "INSERT INTO api_tokens (name, token_hash, role, created_by, expires_at) VALUES ($1, $2, $3, $4, $5) " +
            "ON CONFLICT (token_hash) DO NOTHING RETURNING id");
        cmd.Parameters.Add(new NpgsqlParameter { Value = name });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Hash(token) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = role });
        cmd.Parameters.Add(new NpgsqlParameter { Value = createdBy });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)expires ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        return await cmd.ExecuteScalarAsync(ct) is long id ? id : null;
    }

    private async Task<string?> NameOfAsync(long id, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT name FROM users WHERE id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        return await cmd.ExecuteScalarAsync(ct) as string;
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}

internal sealed record UserAccount(long Id, string Name, string Role, string? CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? LastLoginAt)
{
    /// <summary>Moves on whenever the account's role or password changes; a session made before is ended.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int SessionVersion { get; init; }
}

internal sealed record ApiTokenInfo(long Id, string Name, string Role, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt)
{
    /// <summary>When the token stops working; null only for the bootstrap token from configuration.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}
