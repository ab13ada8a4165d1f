using BladeProvisioner.Dhcp.Diagnostics;
using BladeProvisioner.Dhcp.Leases;
using BladeProvisioner.Dhcp.Protocol;
using BladeProvisioner.Dhcp.Scopes;

namespace BladeProvisioner.Dhcp.Server;

internal sealed partial class DhcpServer
{
    /// <summary>
    /// RFC 2131 §4.3.2 for SELECTING (server id + requested address), INIT-REBOOT (requested address only) and
    /// RENEWING/REBINDING (ciaddr). The lease is made durable before the ACK is built; losing the conditional
    /// upsert (another client, another node) is a NAK.
    /// </summary>
    private async ValueTask<DhcpReply?> RequestAsync(DhcpMessage message, ReceiveContext context, CancellationToken cancellationToken)
    {
        var mac = MacOf(message);
        var scope = SelectScope(message, context);
        var serverId = message.GetAddressOption(DhcpOptionCode.ServerIdentifier);
        var requested = message.GetAddressOption(DhcpOptionCode.RequestedAddress);
        uint target;
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
        }
        else if (requested is uint r && message.ClientAddress == 0)
        {
            target = r;
        }
        else if (message.ClientAddress != 0)
        {
            target = message.ClientAddress;
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

        var now = _time.GetUtcNow();
        var leases = _leases.Pool(scope);
        bool reservedElsewhere = scope.ReservationsByMac.TryGetValue(mac, out var reservation) && reservation.Address != target;
        if (reservedElsewhere || !scope.IsAssignable(target, mac) || !leases.IsFreeFor(target, mac, now))
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

        leases.MarkBound(target, mac, expires);
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
