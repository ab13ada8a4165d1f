using BladeProvisioner.Dhcp.Protocol;

namespace BladeProvisioner.Dhcp.Server;

internal sealed partial class DhcpServer
{
    /// <summary>
    /// proxyDHCP (PXE 2.1 §2.2.4): another server owns addresses. Boot clients get an OFFER with boot information
    /// and no address on port 67, and an ACK for their REQUEST on port 4011. Everyone else is left alone.
    /// </summary>
    private async ValueTask<DhcpReply?> HandleProxyAsync(DhcpMessage message, ReceiveContext context, CancellationToken cancellationToken)
    {
        var client = ClientOf(message);
        if (!client.IsBootClient)
        {
            return await Ignore(message, "proxy mode: not a PXE client");
        }

        DhcpMessageType type;
        if (message.MessageType == DhcpMessageType.Discover && context.LocalPort == ServerPort)
        {
            type = DhcpMessageType.Offer;
        }
        else if (message.MessageType is DhcpMessageType.Request or DhcpMessageType.Inform && context.LocalPort == ProxyPort)
        {
            type = DhcpMessageType.Ack;
        }
        else
        {
            return await Ignore(message, "proxy mode: not a boot-server exchange");
        }

        var mac = MacOf(message);
        var profile = await SightAsync(mac, client, RelayInfo.From(message), message.ClientAddress == 0 ? null : message.ClientAddress, cancellationToken);
        var boot = _boot.Select(client, profile, profile?.Product, Scopes.Ipv4.Format(context.ServerAddress), _httpPort);
        if (boot is null)
        {
            return await Ignore(message, "proxy mode: no boot file for this architecture");
        }

        // The address server's answer is not ours to see: the ticket binds to ciaddr when the client names it, else
        // to the address it is first used from.
        if ((boot = await WithTicketAsync(boot, client, mac, message.ClientAddress, "proxy", cancellationToken)) is null)
        {
            return await Ignore(message, "boot tickets unavailable");
        }

        // A proxy offer carries no address (yiaddr 0), no lease and no network options.
        var content = new ReplyContent(type, 0, context.ServerAddress, null, null, profile?.Hostname, boot with { VendorClassReply = boot.VendorClassReply ?? "PXEClient" }, client);
        var payload = BuildReply(message, content);
        Record(type == DhcpMessageType.Offer ? "proxy-offer" : "proxy-ack", message, mac, client, null, boot, profile);
        _metrics.Sent(type);
        return Route(message, type, payload, 0, context);
    }
}
