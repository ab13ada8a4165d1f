using System.Collections.Concurrent;

namespace BladeProvisioner.Web.Auth;

/// <summary>
/// Failed sign-ins are rate-limited per (account, client address) and per client address: after
/// <see cref="MaxFailures"/> failures for one account from one address, or <see cref="MaxFailuresPerAddress"/> from one
/// address in all, within <see cref="Window"/>, further attempts from that address are refused until the window has
/// passed. Never per account alone: guesses from one host must not lock the real admin out from another (a lock-out
/// for everyone is a denial of service anyone can cause). Guessing spread over many addresses is slowed by the
/// password hash's cost, not stopped; docs/operations.md says so. In memory, per node.
/// </summary>
internal sealed class LoginThrottle(TimeProvider time)
{
    public const int MaxFailures = 5;
    public const int MaxFailuresPerAddress = 20;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    /// <summary>Seconds <paramref name="address"/> must wait before trying <paramref name="name"/> again; 0 when allowed.</summary>
    public int RetryAfterSeconds(string name, string address)
    {
        var now = time.GetUtcNow();
        return Math.Max(Check(Pair(name, address), MaxFailures, now), Check("a:" + address, MaxFailuresPerAddress, now));
    }

    public void Failed(string name, string address)
    {
        var now = time.GetUtcNow();
        foreach (var key in (string[])[Pair(name, address), "a:" + address])
        {
            _failures.AddOrUpdate(key, _ => new Failures(1, now), (_, f) => now - f.Since > Window ? new Failures(1, now) : f with { Count = f.Count + 1 });
        }

        if (_failures.Count > 10_000)
        {
            foreach (var stale in _failures.Where(kv => now - kv.Value.Since > Window).Select(kv => kv.Key).ToList())
            {
                _failures.TryRemove(stale, out _);
            }
        }
    }

    public void Succeeded(string name, string address) => _failures.TryRemove(Pair(name, address), out _);

    private static string Pair(string name, string address) => "u:" + name + "\n" + address;

    private int Check(string key, int limit, DateTimeOffset now) =>
        _failures.TryGetValue(key, out var f) && f.Count >= limit && now - f.Since < Window
            ? (int)Math.Ceiling((Window - (now - f.Since)).TotalSeconds)
            : 0;

    private sealed record Failures(int Count, DateTimeOffset Since);
}
