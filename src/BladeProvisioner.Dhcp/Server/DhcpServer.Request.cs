using BladeProvisioner.Dhcp.Diagnostics;
using BladeProvisioner.Dhcp.Leases;
using BladeProvisioner.Dhcp.Protocol;
using BladeProvisioner.Dhcp.Scopes;

namespace BladeProvisioner.Dhcp.Server;

internal sealed partial class DhcpServer
{
    /// <summary>
    /// RFC 2131 §4.3.2 for SELECTING (server id + requested address), INIT-REBOOT (requested address only) and
    /// RENEWING/REBINDING (ciaddr). Only what this MAC was offered, or already holds, is bound: a REQUEST is no way to
    /// take an address of the client's choosing. The lease is made durable before the ACK is built; losing the
    /// conditional upsert (another client, another node) is a NAK.
    /// </summary>
    private async ValueTask<DhcpReply?> RequestAsync(DhcpMessage message, ReceiveContext context, CancellationToken cancellationToken)
    {
        var mac = MacOf(message);
        var scope = SelectScope(message, context);
        var serverId = message.GetAddressOption(DhcpOptionCode.ServerIdentifier);
        var requested = message.GetAddressOption(DhcpOptionCode.RequestedAddress);
        var now = _time.GetUtcNow();
        uint target;
        bool selecting = false;
        if (serverId is uint sid)
        {
            if (sid != context.ServerAddress)
            {
                // The client took another server's offer: give ours back.
                if (scope is not null && requested is uint other)
                {
                    _leases.Pool(scope).ReleaseOffer(other, mac);
                }

                return await Ignore(message, "selected another server");
            }

            if (requested is not uint r || message.ClientAddress != 0)
            {
                return await Ignore(message, "SELECTING request without requested address");
            }

            target = r;
            selecting = true;
        }
        else if (requested is uint r && message.ClientAddress == 0)
        {
            target = r;
        }
        else if (message.ClientAddress != 0)
        {
            target = message.ClientAddress;
            scope = RenewalScope(message, scope, mac, now);
        }
        else
        {
            return await Ignore(message, "REQUEST names no address");
        }

        if (scope is null)
        {
            return await Ignore(message, "no scope for the arrival interface or relay");
        }

        if (!scope.Contains(target))
        {
            return Nak(message, context, $"{Ipv4.Format(target)} is not on this network");
        }

        // SELECTING: only the address we offered this MAC (or its binding, or reservation). INIT-REBOOT, RENEWING and
        // REBINDING: only the MAC's own binding or reservation; a NAK when we know the client otherwise, silence when we
        // have no record of it at all (RFC 2131 §4.3.2: another server may).
        var leases = _leases.Pool(scope);
        bool reserved = scope.ReservationsByMac.TryGetValue(mac, out var reservation);
        bool own = reserved ? reservation!.Address == target : selecting ? leases.IsHeldBy(target, mac, now) : leases.IsBoundTo(target, mac, now);
        if (!own)
        {
            if (!selecting && !reserved && !leases.HasRecordOf(mac))
            {
                return await Refuse(message, context, UnknownClient);
            }

            return Nak(message, context, selecting ? $"{Ipv4.Format(target)} was not offered to this client" : $"{Ipv4.Format(target)} is not this client's lease");
        }

        if (!scope.IsAssignable(target, mac) || !leases.IsFreeFor(target, mac, now))
        {
            return Nak(message, context, $"{Ipv4.Format(target)} is not available to this client");
        }

        var client = ClientOf(message);
        var relay = RelayInfo.From(message);
        var profile = await SightAsync(mac, client, relay, target, cancellationToken);
        var hostname = profile?.Hostname ?? reservation?.Hostname;
        var expires = now + scope.LeaseTime;
        bool won;
        try
        {
            won = await _leases.Store.CommitAsync(
                new LeaseWrite(LeaseWriteKind.Bind, scope.Name, target, mac, expires)
                {
                    ClientId = message.TryGetOption(DhcpOptionCode.ClientIdentifier, out var cid) ? Convert.ToHexStringLower(cid.Span) : null,
                    Hostname = hostname ?? ClientHostName(message),
                    BladeId = profile?.BladeId,
                },
                cancellationToken);
        }
        catch (LeaseStoreUnavailableException)
        {
            // Not durable: stay silent; the client retransmits.
            return await Ignore(message, "lease store unavailable");
        }

        if (!won)
        {
            leases.MarkHeldElsewhere(target, now + scope.LeaseTime);
            DhcpLog.LostRace(_logger, Ipv4.Format(target), scope.Name, mac);
            return Nak(message, context, $"{Ipv4.Format(target)} is held by another client");
        }

        leases.MarkBound(target, mac, now, expires);
        var boot = _boot.Select(client, profile, profile?.Product, Ipv4.Format(context.ServerAddress), _httpPort);
        if (boot is not null && (boot = await WithTicketAsync(boot, client, mac, target, "dhcp", cancellationToken)) is null)
        {
            return await Ignore(message, "boot tickets unavailable");
        }

        var payload = BuildReply(message, new ReplyContent(DhcpMessageType.Ack, target, context.ServerAddress, scope, scope.LeaseTime, hostname, boot, client));
        Record("ack", message, mac, client, target, boot, profile);
        _metrics.Sent(DhcpMessageType.Ack);
        return Route(message, DhcpMessageType.Ack, payload, target, context);
    }

    /// <summary>
    /// RENEWING (RFC 2131 §4.3.2): unicast straight from the client, so no giaddr, and it arrives on whichever interface
    /// routes to the client, not the one its relay uses. The lease it renews names the scope: the one containing ciaddr,
    /// when this MAC holds that binding there.
    /// </summary>
    private DhcpScope? RenewalScope(DhcpMessage message, DhcpScope? byArrival, string mac, DateTimeOffset now)
    {
        if (message.RelayAddress != 0 || byArrival?.Contains(message.ClientAddress) == true)
        {
            return byArrival;
        }

        var owner = _scopes.FindContaining(message.ClientAddress);
        return owner is not null && _leases.Pool(owner).IsBoundTo(message.ClientAddress, mac, now) ? owner : byArrival;
    }

    private DhcpReply Nak(DhcpMessage message, ReceiveContext context, string reason)
    {
        var payload = BuildReply(message, new ReplyContent(DhcpMessageType.Nak, 0, context.ServerAddress, null, null, null, null, PlainClient, reason));
        var client = ClientOf(message);
        Record("nak", message, MacOf(message), client, null, null, null);
        _metrics.Sent(DhcpMessageType.Nak);
        return Route(message, DhcpMessageType.Nak, payload, 0, context);
    }

    private static string? ClientHostName(DhcpMessage message)
    {
        if (!message.TryGetOption(DhcpOptionCode.HostName, out var v) || v.Length > 63)
        {
            return null;
        }

        foreach (var b in v.Span)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || b == '-' || b == '.'))
            {
                return null;
            }
        }

        return System.Text.Encoding.ASCII.GetString(v.Span);
    }
}
