using BladeProvisioner.Dhcp.Diagnostics;
using BladeProvisioner.Dhcp.Leases;
using BladeProvisioner.Dhcp.Protocol;
using BladeProvisioner.Dhcp.Scopes;

namespace BladeProvisioner.Dhcp.Server;

internal sealed partial class DhcpServer
{
    private const int MaxProbeAttempts = 4;

    /// <summary>RFC 2131 §4.3.1: choose an address, hold it briefly for the client, and offer it. Nothing is written yet.</summary>
    private async ValueTask<DhcpReply?> DiscoverAsync(DhcpMessage message, ReceiveContext context, CancellationToken cancellationToken)
    {
        var scope = SelectScope(message, context);
        if (scope is null)
        {
            return await Ignore(message, "no scope for the arrival interface or relay");
        }

        var mac = MacOf(message);
        var client = ClientOf(message);
        var relay = RelayInfo.From(message);
        var pool = _leases.Pool(scope);
        var now = _time.GetUtcNow();
        if (!scope.ReservationsByMac.ContainsKey(mac) && !pool.MayOffer(mac, now, _options.MaxOffersPerScope))
        {
            // A host rotating MACs would otherwise hold every free address (and grow the pool's state) for OfferHold each.
            return await Refuse(message, context, OfferLimit);
        }

        var profile = await SightAsync(mac, client, relay, null, cancellationToken);
        var address = await ChooseAsync(pool, mac, message.GetAddressOption(DhcpOptionCode.RequestedAddress), context, cancellationToken);
        if (address is not uint yiaddr)
        {
            DhcpLog.PoolExhausted(_logger, scope.Name, mac);
            return await Ignore(message, "scope exhausted");
        }

        now = _time.GetUtcNow();
        if (pool.CurrentAddressOf(mac, now) != yiaddr)
        {
            pool.MarkOffered(yiaddr, mac, now, now + _options.OfferHold);
        }

        var boot = _boot.Select(client, profile, profile?.Product, Ipv4.Format(context.ServerAddress), _httpPort);
        var hostname = profile?.Hostname ?? (scope.ReservationsByMac.TryGetValue(mac, out var r) ? r.Hostname : null);
        var payload = BuildReply(message, new ReplyContent(DhcpMessageType.Offer, yiaddr, context.ServerAddress, scope, scope.LeaseTime, hostname, boot, client));
        Record("offer", message, mac, client, yiaddr, boot, profile);
        _metrics.Sent(DhcpMessageType.Offer);
        return Route(message, DhcpMessageType.Offer, payload, yiaddr, context);
    }

    /// <summary>Picks an address; a new one is probed first when probing is on, and skipped if anything answers.</summary>
    private async ValueTask<uint?> ChooseAsync(LeasePool pool, string mac, uint? requested, ReceiveContext context, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < MaxProbeAttempts; attempt++)
        {
            var now = _time.GetUtcNow();
            var candidate = pool.Choose(mac, requested, now);
            if (candidate is not uint address)
            {
                return null;
            }

            bool alreadyTheirs = pool.IsHeldBy(address, mac, now) || pool.Scope.ReservationsByMac.ContainsKey(mac);
            if (alreadyTheirs || !_probe.Enabled)
            {
                return address;
            }

            // Hold it while probing so a concurrent DISCOVER does not pick the same address.
            pool.MarkOffered(address, mac, now, now + _options.OfferHold);
            bool inUse = await _probe.IsInUseAsync(context.Interface, address, cancellationToken);
            _metrics.Probe(inUse);
            if (!inUse)
            {
                return address;
            }

            DhcpLog.ProbeConflict(_logger, Ipv4.Format(address), pool.Scope.Name);
            pool.MarkUnavailable(address, _time.GetUtcNow() + _options.DeclineQuarantine);
            requested = null;
        }

        return null;
    }
}
