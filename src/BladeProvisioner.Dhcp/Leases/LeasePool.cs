using BladeProvisioner.Core.Model;
using BladeProvisioner.Dhcp.Scopes;

namespace BladeProvisioner.Dhcp.Leases;

/// <summary>
/// One scope's in-memory view of who holds what, rebuilt from the lease table at start. It picks candidates quickly
/// (a queue of free addresses, refilled by a scan when it runs dry); the store's conditional upsert has the final word.
/// </summary>
internal sealed class LeasePool
{
    private const string NoOwner = "";
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, Holding> _held = [];
    private readonly Dictionary<string, uint> _lastByMac = new(StringComparer.Ordinal);
    private readonly Queue<uint> _free = new();

    public LeasePool(DhcpScope scope)
    {
        Scope = scope;
        Refill(DateTimeOffset.MinValue);
    }

    public DhcpScope Scope { get; }

    public int HeldCount
    {
        get
        {
            lock (_lock)
            {
                return _held.Count;
            }
        }
    }

    public void Load(LeaseRecord record, DateTimeOffset now)
    {
        lock (_lock)
        {
            _lastByMac[record.Mac] = record.Address;
            if (record.State is DhcpLeaseState.Bound or DhcpLeaseState.Declined or DhcpLeaseState.Offered && record.ExpiresAt > now)
            {
                _held[record.Address] = new Holding(record.State == DhcpLeaseState.Declined ? NoOwner : record.Mac, record.State, record.ExpiresAt);
            }
        }
    }

    /// <summary>
    /// RFC 2131 §4.3.1 address choice: the reservation; else the client's current or last address if still free;
    /// else the requested address if free; else the next free one. Null when the pool is exhausted.
    /// </summary>
    public uint? Choose(string mac, uint? requested, DateTimeOffset now, Func<uint, bool>? exclude = null)
    {
        if (Scope.ReservationsByMac.TryGetValue(mac, out var reservation))
        {
            return reservation.Address;
        }

        lock (_lock)
        {
            if (_lastByMac.TryGetValue(mac, out var last) && Scope.IsAssignable(last, mac) && IsFreeFor(last, mac, now) && exclude?.Invoke(last) != true)
            {
                return last;
            }

            if (requested is uint r && Scope.IsAssignable(r, mac) && IsFreeFor(r, mac, now) && exclude?.Invoke(r) != true)
            {
                return r;
            }

            for (int pass = 0; pass < 2; pass++)
            {
                while (_free.TryDequeue(out var candidate))
                {
                    if (IsFreeFor(candidate, mac, now) && !Scope.ReservationsByAddress.ContainsKey(candidate) && exclude?.Invoke(candidate) != true)
                    {
                        return candidate;
                    }
                }

                Refill(now);
            }

            return null;
        }
    }

    /// <summary>Whether <paramref name="mac"/> currently holds <paramref name="address"/> (offered or bound).</summary>
    public bool IsHeldBy(uint address, string mac, DateTimeOffset now)
    {
        lock (_lock)
        {
            return _held.TryGetValue(address, out var h) && h.Mac == mac && h.ExpiresAt > now && h.State != DhcpLeaseState.Declined;
        }
    }

    public bool IsFreeFor(uint address, string mac, DateTimeOffset now)
    {
        lock (_lock)
        {
            return !_held.TryGetValue(address, out var h) || h.ExpiresAt <= now || (h.Mac == mac && h.State != DhcpLeaseState.Declined);
        }
    }

    /// <summary>The address the MAC holds now (offered or bound), if any.</summary>
    public uint? CurrentAddressOf(string mac, DateTimeOffset now)
    {
        lock (_lock)
        {
            return _lastByMac.TryGetValue(mac, out var a) && _held.TryGetValue(a, out var h) && h.Mac == mac && h.ExpiresAt > now
                ? a
                : null;
        }
    }

    public void MarkOffered(uint address, string mac, DateTimeOffset until) => Set(address, mac, DhcpLeaseState.Offered, until);

    public void MarkBound(uint address, string mac, DateTimeOffset until) => Set(address, mac, DhcpLeaseState.Bound, until);

    /// <summary>Declined by a client, answered a probe, or lost to another node: nobody gets it from here until then.</summary>
    public void MarkUnavailable(uint address, DateTimeOffset until) => Set(address, NoOwner, DhcpLeaseState.Declined, until);

    /// <summary>The store says another MAC holds it (another node won the upsert).</summary>
    public void MarkHeldElsewhere(uint address, DateTimeOffset until) => Set(address, NoOwner, DhcpLeaseState.Bound, until);

    public void MarkFree(uint address, string? mac = null)
    {
        lock (_lock)
        {
            if (_held.TryGetValue(address, out var h) && (mac is null || h.Mac == mac))
            {
                _held.Remove(address);
                if (Scope.InRanges(address))
                {
                    _free.Enqueue(address);
                }
            }
        }
    }

    /// <summary>The client chose another server: an address only offered to it goes back to the pool.</summary>
    public void ReleaseOffer(uint address, string mac)
    {
        lock (_lock)
        {
            if (_held.TryGetValue(address, out var h) && h.Mac == mac && h.State == DhcpLeaseState.Offered)
            {
                _held.Remove(address);
                _free.Enqueue(address);
            }
        }
    }

    /// <summary>Frees the address if what this node holds for it has run out (reclaim found it expired).</summary>
    public void MarkFreeIfExpired(uint address, DateTimeOffset now)
    {
        lock (_lock)
        {
            if (!_held.TryGetValue(address, out var h) || h.ExpiresAt <= now)
            {
                _held.Remove(address);
                if (Scope.InRanges(address))
                {
                    _free.Enqueue(address);
                }
            }
        }
    }

    private void Set(uint address, string mac, DhcpLeaseState state, DateTimeOffset until)
    {
        lock (_lock)
        {
            _held[address] = new Holding(mac, state, until);
            if (mac.Length > 0)
            {
                _lastByMac[mac] = address;
            }
        }
    }

    private void Refill(DateTimeOffset now)
    {
        _free.Clear();
        foreach (var (first, last) in Scope.Ranges)
        {
            for (ulong a = first; a <= last; a++)
            {
                uint address = (uint)a;
                if ((!_held.TryGetValue(address, out var h) || h.ExpiresAt <= now) && !Scope.ReservationsByAddress.ContainsKey(address))
                {
                    _free.Enqueue(address);
                }
            }
        }
    }

    private readonly record struct Holding(string Mac, DhcpLeaseState State, DateTimeOffset ExpiresAt);
}
