using BladeProvisioner.Core.Model;
using BladeProvisioner.Dhcp.Scopes;

namespace BladeProvisioner.Dhcp.Leases;

/// <summary>
/// One scope's in-memory view of who holds what, rebuilt from the lease table at start. It picks candidates quickly
/// (a queue of free addresses, refilled by a scan when it runs dry); the store's conditional upsert has the final word.
/// A MAC holds at most one offer and one binding here, and binding an address gives up the MAC's other holdings.
/// Everything is keyed by an address of the scope, so memory is bounded by the scope's size whatever the MACs seen.
/// </summary>
internal sealed class LeasePool
{
    private const string NoOwner = "";
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, Holding> _held = [];
    private readonly Dictionary<string, uint> _boundByMac = new(StringComparer.Ordinal);
    private readonly Dictionary<string, uint> _offeredByMac = new(StringComparer.Ordinal);

    // The MAC's last address (for "the same address again") and, per address, whose last address it is: a MAC's entry
    // goes when another MAC takes the address, so a client rotating MACs cannot grow these past the scope's size.
    private readonly Dictionary<string, uint> _lastByMac = new(StringComparer.Ordinal);
    private readonly Dictionary<uint, string> _lastOwner = [];
    private readonly Queue<uint> _free = new();
    private int _offers;
    private DateTimeOffset _nextOfferExpiry = DateTimeOffset.MaxValue;

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

    /// <summary>MACs whose last address is remembered (bounded by the scope's size).</summary>
    public int KnownClientCount
    {
        get
        {
            lock (_lock)
            {
                return _lastByMac.Count;
            }
        }
    }

    /// <summary>Offers held now, expired ones not yet swept included.</summary>
    public int OfferCount
    {
        get
        {
            lock (_lock)
            {
                return _offers;
            }
        }
    }

    public void Load(LeaseRecord record, DateTimeOffset now)
    {
        lock (_lock)
        {
            Remember(record.Address, record.Mac);
            if (record.State is DhcpLeaseState.Bound or DhcpLeaseState.Declined or DhcpLeaseState.Offered && record.ExpiresAt > now)
            {
                // A lease found at start counts as long held: no DECLINE window for it.
                Put(record.Address, new Holding(record.State == DhcpLeaseState.Declined ? NoOwner : record.Mac, record.State, DateTimeOffset.MinValue, record.ExpiresAt));
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

    /// <summary>Whether <paramref name="mac"/> holds a binding (ACKed, unexpired) of <paramref name="address"/>.</summary>
    public bool IsBoundTo(uint address, string mac, DateTimeOffset now)
    {
        lock (_lock)
        {
            return _held.TryGetValue(address, out var h) && h.Mac == mac && h.ExpiresAt > now && h.State == DhcpLeaseState.Bound;
        }
    }

    /// <summary>
    /// Whether <paramref name="mac"/> was offered <paramref name="address"/>, or was first bound to it no earlier than
    /// <paramref name="since"/>: what a client that found the address in use right after its ACK may DECLINE.
    /// </summary>
    public bool IsNewlyHeldBy(uint address, string mac, DateTimeOffset now, DateTimeOffset since)
    {
        lock (_lock)
        {
            return _held.TryGetValue(address, out var h) && h.Mac == mac && h.ExpiresAt > now
                && (h.State == DhcpLeaseState.Offered || (h.State == DhcpLeaseState.Bound && h.Since >= since));
        }
    }

    /// <summary>Whether this scope has any record of the MAC: a holding now, or an address it had (RFC 2131 §4.3.2 INIT-REBOOT).</summary>
    public bool HasRecordOf(string mac)
    {
        lock (_lock)
        {
            return _lastByMac.ContainsKey(mac) || _boundByMac.ContainsKey(mac) || _offeredByMac.ContainsKey(mac);
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

    /// <summary>
    /// Whether a new offer may be made to <paramref name="mac"/>: always for a MAC that holds an address here already,
    /// else only while fewer than <paramref name="maxOffers"/> offers are out (expired ones are swept first).
    /// </summary>
    public bool MayOffer(string mac, DateTimeOffset now, int maxOffers)
    {
        lock (_lock)
        {
            if (Holds(_offeredByMac, mac, now) || Holds(_boundByMac, mac, now))
            {
                return true;
            }

            if (_offers >= maxOffers && now >= _nextOfferExpiry)
            {
                SweepExpiredOffers(now);
            }

            return _offers < maxOffers;
        }
    }

    /// <summary>Holds the address for the MAC until <paramref name="until"/>; the MAC's earlier offer, if any, goes back.</summary>
    public void MarkOffered(uint address, string mac, DateTimeOffset now, DateTimeOffset until)
    {
        lock (_lock)
        {
            if (_offeredByMac.TryGetValue(mac, out var earlier) && earlier != address)
            {
                Drop(earlier, free: true);
            }

            if (_held.TryGetValue(address, out var h) && h.Mac == mac && h.State == DhcpLeaseState.Bound && h.ExpiresAt > now)
            {
                return; // already bound to it: an offer of the same address changes nothing
            }

            Put(address, new Holding(mac, DhcpLeaseState.Offered, now, until));
            Remember(address, mac);
            if (until < _nextOfferExpiry)
            {
                _nextOfferExpiry = until;
            }
        }
    }

    /// <summary>
    /// Binds the address to the MAC until <paramref name="until"/>; the MAC's other binding and offer in this scope are
    /// given up (one lease per MAC). A renewal keeps the time of the first bind.
    /// </summary>
    public void MarkBound(uint address, string mac, DateTimeOffset now, DateTimeOffset until)
    {
        lock (_lock)
        {
            if (_boundByMac.TryGetValue(mac, out var other) && other != address)
            {
                Drop(other, free: true);
            }

            if (_offeredByMac.TryGetValue(mac, out var offered) && offered != address)
            {
                Drop(offered, free: true);
            }

            var since = _held.TryGetValue(address, out var h) && h.Mac == mac && h.State == DhcpLeaseState.Bound && h.ExpiresAt > now ? h.Since : now;
            Put(address, new Holding(mac, DhcpLeaseState.Bound, since, until));
            Remember(address, mac);
        }
    }

    /// <summary>Declined by a client, answered a probe, or lost to another node: nobody gets it from here until then.</summary>
    public void MarkUnavailable(uint address, DateTimeOffset until) => Set(address, new Holding(NoOwner, DhcpLeaseState.Declined, DateTimeOffset.MinValue, until));

    /// <summary>The store says another MAC holds it (another node won the upsert).</summary>
    public void MarkHeldElsewhere(uint address, DateTimeOffset until) => Set(address, new Holding(NoOwner, DhcpLeaseState.Bound, DateTimeOffset.MinValue, until));

    public void MarkFree(uint address, string? mac = null)
    {
        lock (_lock)
        {
            if (_held.TryGetValue(address, out var h) && (mac is null || h.Mac == mac))
            {
                Drop(address, free: true);
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
                Drop(address, free: true);
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
                Drop(address, free: true);
            }
        }
    }

    private bool Holds(Dictionary<string, uint> index, string mac, DateTimeOffset now) =>
        index.TryGetValue(mac, out var a) && _held.TryGetValue(a, out var h) && h.ExpiresAt > now;

    private void Set(uint address, Holding holding)
    {
        lock (_lock)
        {
            Put(address, holding);
        }
    }

    /// <summary>Replaces what is held for the address, keeping the per-MAC indexes and the offer count in step.</summary>
    private void Put(uint address, Holding holding)
    {
        Drop(address, free: false);
        _held[address] = holding;
        if (holding.Mac.Length == 0)
        {
            return;
        }

        if (holding.State == DhcpLeaseState.Bound)
        {
            _boundByMac[holding.Mac] = address;
        }
        else if (holding.State == DhcpLeaseState.Offered)
        {
            _offeredByMac[holding.Mac] = address;
            _offers++;
        }
    }

    private void Drop(uint address, bool free)
    {
        if (!_held.Remove(address, out var h))
        {
            return;
        }

        if (h.State == DhcpLeaseState.Offered)
        {
            _offers--;
            RemoveIndex(_offeredByMac, h.Mac, address);
        }
        else if (h.State == DhcpLeaseState.Bound)
        {
            RemoveIndex(_boundByMac, h.Mac, address);
        }

        if (free && Scope.InRanges(address))
        {
            _free.Enqueue(address);
        }
    }

    private static void RemoveIndex(Dictionary<string, uint> index, string mac, uint address)
    {
        if (mac.Length > 0 && index.TryGetValue(mac, out var a) && a == address)
        {
            index.Remove(mac);
        }
    }

    private void Remember(uint address, string mac)
    {
        if (_lastOwner.TryGetValue(address, out var previous) && previous != mac && _lastByMac.TryGetValue(previous, out var theirs) && theirs == address)
        {
            _lastByMac.Remove(previous);
        }

        _lastOwner[address] = mac;
        _lastByMac[mac] = address;
    }

    private void SweepExpiredOffers(DateTimeOffset now)
    {
        var next = DateTimeOffset.MaxValue;
        var expired = new List<uint>();
        foreach (var (address, h) in _held)
        {
            if (h.State != DhcpLeaseState.Offered)
            {
                continue;
            }

            if (h.ExpiresAt <= now)
            {
                expired.Add(address);
            }
            else if (h.ExpiresAt < next)
            {
                next = h.ExpiresAt;
            }
        }

        foreach (var address in expired)
        {
            Drop(address, free: true);
        }

        _nextOfferExpiry = next;
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

    /// <summary><see cref="Since"/>: when the MAC was first offered or bound this address (a renewal keeps it).</summary>
    private readonly record struct Holding(string Mac, DhcpLeaseState State, DateTimeOffset Since, DateTimeOffset ExpiresAt);
}
