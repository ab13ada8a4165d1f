using BladeProvisioner.Dhcp.Diagnostics;
using BladeProvisioner.Dhcp.Leases;
using BladeProvisioner.Dhcp.Protocol;
using BladeProvisioner.Dhcp.Scopes;

namespace BladeProvisioner.Dhcp.Server;

internal sealed partial class DhcpServer
{
    /// <summary>
    /// RFC 2131 §4.3.3: the client found the address in use; quarantine it. No reply. A DECLINE comes from a client with
    /// no address and cannot be checked by its source, so it counts only right after the offer or first ACK, when a
    /// client's ARP probe runs (§4.4.1): a forged one against a lease held for longer is ignored.
    /// </summary>
    private async ValueTask<DhcpReply?> DeclineAsync(DhcpMessage message, ReceiveContext context, CancellationToken cancellationToken)
    {
        var mac = MacOf(message);
        var scope = SelectScope(message, context);
        if (scope is null || message.GetAddressOption(DhcpOptionCode.RequestedAddress) is not uint address || !scope.Contains(address))
        {
            return await Ignore(message, "DECLINE names no address of a served scope");
        }

        var now = _time.GetUtcNow();
        var pool = _leases.Pool(scope);
        if (!pool.IsHeldBy(address, mac, now))
        {
            return await Ignore(message, "DECLINE of an address the client does not hold");
        }

        if (!pool.IsNewlyHeldBy(address, mac, now, now - _options.DeclineWindow))
        {
            return await Refuse(message, context, ForgedDecline);
        }

        var until = now + _options.DeclineQuarantine;
        pool.MarkUnavailable(address, until);
        try
        {
            await _leases.Store.CommitAsync(new LeaseWrite(LeaseWriteKind.Decline, scope.Name, address, mac, until), cancellationToken);
        }
        catch (LeaseStoreUnavailableException)
        {
            // Quarantined in memory at least.
        }

        DhcpLog.Declined(_logger, mac, Ipv4.Format(address), scope.Name, until);
        Record("decline", message, mac, ClientOf(message), address, null, null);
        return null;
    }

    /// <summary>
    /// RFC 2131 §4.3.4: the client gives up ciaddr. No reply. A RELEASE is unicast by the bound client from that very
    /// address, so one from any other source, or for an address the MAC does not hold bound, is someone else's.
    /// </summary>
    private async ValueTask<DhcpReply?> ReleaseAsync(DhcpMessage message, ReceiveContext context, CancellationToken cancellationToken)
    {
        var mac = MacOf(message);
        uint address = message.ClientAddress;
        var scope = address == 0 ? null : _scopes.FindContaining(address);
        if (scope is null)
        {
            return await Ignore(message, "RELEASE of an address outside every scope");
        }

        var pool = _leases.Pool(scope);
        if (!pool.IsBoundTo(address, mac, _time.GetUtcNow()) || Ipv4.ToUInt32(context.Source.Address) != address)
        {
            return await Refuse(message, context, ForgedRelease);
        }

        try
        {
            if (await _leases.Store.CommitAsync(new LeaseWrite(LeaseWriteKind.Release, scope.Name, address, mac, _time.GetUtcNow()), cancellationToken))
            {
                pool.MarkFree(address, mac);
            }
        }
        catch (LeaseStoreUnavailableException)
        {
            // Kept as bound until it expires: safe.
        }

        Record("release", message, mac, ClientOf(message), address, null, null);
        return null;
    }

    /// <summary>RFC 2131 §4.3.5: configuration only, to ciaddr; no lease, no yiaddr.</summary>
    private async ValueTask<DhcpReply?> InformAsync(DhcpMessage message, ReceiveContext context, CancellationToken cancellationToken)
    {
        if (message.ClientAddress == 0)
        {
            return await Ignore(message, "INFORM without ciaddr");
        }

        var scope = message.RelayAddress != 0 ? _scopes.FindContaining(message.RelayAddress) : _scopes.FindContaining(message.ClientAddress);
        if (scope is null)
        {
            return await Ignore(message, "INFORM from outside every scope");
        }

        var mac = MacOf(message);
        var client = ClientOf(message);
        var profile = await SightAsync(mac, client, RelayInfo.From(message), message.ClientAddress, cancellationToken);
        var boot = _boot.Select(client, profile, profile?.Product, Ipv4.Format(context.ServerAddress), _httpPort);
        var payload = BuildReply(message, new ReplyContent(DhcpMessageType.Ack, 0, context.ServerAddress, scope, null, profile?.Hostname, boot, client));
        Record("inform", message, mac, client, message.ClientAddress, boot, profile);
        _metrics.Sent(DhcpMessageType.Ack);
        return Route(message, DhcpMessageType.Ack, payload, 0, context);
    }
}
