using System.Security.Cryptography;
using System.Text;

namespace BladeProvisioner.Storage.Targets;

/// <summary>
/// Remembers which secret this process last gave each CHAP account, as an HMAC under a key that lives only in
/// memory: target services never report secrets back, so this is how "already set" is known without storing
/// or logging them. Empty after a restart, which makes the first ensure re-assert every secret once.
/// </summary>
internal sealed class SecretLedger
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly Dictionary<string, byte[]> _macs = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public bool Matches(string account, string secret)
    {
        var mac = Mac(account, secret);
        lock (_lock)
        {
            return _macs.TryGetValue(account, out var known) && CryptographicOperations.FixedTimeEquals(known, mac);
        }
    }

    public void Record(string account, string secret)
    {
        var mac = Mac(account, secret);
        lock (_lock)
        {
            _macs[account] = mac;
        }
    }

    public void Forget(string account)
    {
        lock (_lock)
        {
            _macs.Remove(account);
        }
    }

    private byte[] Mac(string account, string secret) =>
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(account + "\n" + secret));
}
