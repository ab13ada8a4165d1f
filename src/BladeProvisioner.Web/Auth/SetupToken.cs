using System.Security.Cryptography;
using System.Text;

namespace BladeProvisioner.Web.Auth;

/// <summary>The one-time token that lets <c>/setup</c> create the first admin. Lives in memory only; used once.</summary>
internal sealed class SetupToken
{
    private readonly Lock _lock = new();
    private byte[]? _hash;

    public bool IsPending
    {
        get
        {
            lock (_lock)
            {
                return _hash is not null;
            }
        }
    }

    public string Issue()
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        lock (_lock)
        {
            _hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        }

        return token;
    }

    /// <summary>True (and the token is spent) when <paramref name="candidate"/> is the pending token.</summary>
    public bool TryConsume(string? candidate)
    {
        if (string.IsNullOrEmpty(candidate))
        {
            return false;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(candidate.Trim()));
        lock (_lock)
        {
            if (_hash is null || !CryptographicOperations.FixedTimeEquals(_hash, hash))
            {
                return false;
            }

            _hash = null;
            return true;
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _hash = null;
        }
    }
}
