using System.Collections.Concurrent;

namespace BladeProvisioner.Web.Auth;

/// <summary>
/// Failed sign-ins are rate-limited per account name and per client address: after <see cref="MaxFailures"/> failures
/// within <see cref="Window"/>, further attempts are refused until the window has passed. In memory, per node.
/// </summary>
internal sealed class LoginThrottle(TimeProvider time)
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    /// <summary>Seconds to wait when <paramref name="name"/> or <paramref name="address"/> is locked out; 0 when allowed.</summary>
    public int RetryAfterSeconds(string name, string address)
    {
        var now = time.GetUtcNow();
        return Math.Max(Check("u:" + name, now), Check("a:" + address, now));
    }

    public void Failed(string name, string address)
    {
        var now = time.GetUtcNow();
        foreach (var key in (string[])["u:" + name, "a:" + address])
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

    public void Succeeded(string name) => _failures.TryRemove("u:" + name, out _);

    private int Check(string key, DateTimeOffset now) =>
        _failures.TryGetValue(key, out var f) && f.Count >= MaxFailures && now - f.Since < Window
            ? (int)Math.Ceiling((Window - (now - f.Since)).TotalSeconds)
            : 0;

    private sealed record Failures(int Count, DateTimeOffset Since);
}
