using System.Collections.Frozen;
using System.Net;
using BladeProvisioner.Core.Blades;
using BladeProvisioner.Core.Boot;
using BladeProvisioner.Core.Naming;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Dhcp.Boot;
using BladeProvisioner.Dhcp.Configuration;
using BladeProvisioner.Dhcp.Diagnostics;
using BladeProvisioner.Dhcp.Leases;
using BladeProvisioner.Dhcp.Probing;
using BladeProvisioner.Dhcp.Protocol;
using BladeProvisioner.Dhcp.Scopes;
using Microsoft.Extensions.Logging;

namespace BladeProvisioner.Dhcp.Server;

/// <summary>
/// The DHCPv4 server's protocol logic (RFC 2131 §4.3), free of sockets and hosting: a datagram and where it came
/// from in, a reply and where it goes out. Split by message: Discover, Request, Other (Decline/Release/Inform), Proxy.
/// </summary>
internal sealed partial class DhcpServer
{
    public const int ServerPort = 67;
    public const int ClientPort = 68;
    public const int ProxyPort = 4011;
    private static readonly ClientInfo PlainClient = new();
    private readonly DhcpOptions _options;
    private readonly ScopeTable _scopes;
    private readonly LeaseBook _leases;
    private readonly IAddressProbe _probe;
    private readonly IBladeDirectory? _directory;
    private readonly ITimeline? _timeline;
    private readonly DhcpMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly BootFileSelector _boot;
    private readonly int _httpPort;
    private readonly IBootTickets? _tickets;
    private readonly FrozenSet<uint> _trustedRelays;

    public DhcpServer(
        DhcpOptions options,
        ScopeTable scopes,
        LeaseBook leases,
        IAddressProbe probe,
        IBladeDirectory? directory,
        ITimeline? timeline,
        DhcpMetrics metrics,
        ILogger<DhcpServer> logger,
        TimeProvider time,
        int httpPort,
        IBootTickets? tickets = null)
    {
        _options = options;
        _scopes = scopes;
        _leases = leases;
        _probe = probe;
        _directory = directory;
        _timeline = timeline;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _boot = new BootFileSelector(options);
        _httpPort = httpPort;
        _tickets = tickets;
        _trustedRelays = options.TrustedRelays.Select(r => Ipv4.TryParse(r, out var a) ? a : 0).Where(a => a != 0).ToFrozenSet();
    }

    // Drop reasons (bp.dhcp.packets.dropped) of the checks against forged or untrusted messages.
    private const string UntrustedRelay = "untrusted_relay";
    private const string OfferLimit = "offer_limit";
    private const string UnknownClient = "init_reboot_unknown_client";
    private const string ForgedRelease = "forged_release";
    private const string ForgedDecline = "forged_decline";

    public DhcpMode Mode => _options.Mode;

    /// <summary>Parses and answers one datagram. Malformed input is counted and dropped; nothing is thrown for it.</summary>
    public ValueTask<DhcpReply?> HandleDatagramAsync(ReadOnlyMemory<byte> datagram, ReceiveContext context, CancellationToken cancellationToken)
    {
        // Larger than the interface MTU carries whole: refused before any parsing work is spent on it.
        DhcpMessage? message = null;
        var status = datagram.Length > _options.MaxDatagramSize
            ? DhcpParseStatus.Oversized
            : DhcpParser.TryParse(datagram.Span, out message);
        if (status != DhcpParseStatus.Ok)
        {
            _metrics.Dropped(status.ToString());
            DhcpLog.Malformed(_logger, context.Source.ToString(), context.Interface, status.ToString());
            return ValueTask.FromResult<DhcpReply?>(null);
        }

        return HandleAsync(message!, context, cancellationToken);
    }

    public ValueTask<DhcpReply?> HandleAsync(DhcpMessage message, ReceiveContext context, CancellationToken cancellationToken)
    {
        _metrics.Received(message.MessageType);

        // RFC 3046 §2.1, RFC 2131 §4.1: giaddr and option 82 say where a client sits, which slot rules act on. Only a
        // relay agent we were told to trust may say so; anyone else could move a blade out of its slot.
        if (message.RelayAddress != 0 && !_trustedRelays.Contains(Ipv4.ToUInt32(context.Source.Address)))
        {
            return Refuse(message, context, UntrustedRelay);
        }

        if (_options.Mode == DhcpMode.Proxy)
        {
            return HandleProxyAsync(message, context, cancellationToken);
        }

        if (context.LocalPort != ServerPort)
        {
            return Ignore(message, "not a proxy: port 4011 is not served");
        }

        return message.MessageType switch
        {
            DhcpMessageType.Discover => DiscoverAsync(message, context, cancellationToken),
            DhcpMessageType.Request => RequestAsync(message, context, cancellationToken),
            DhcpMessageType.Decline => DeclineAsync(message, context, cancellationToken),
            DhcpMessageType.Release => ReleaseAsync(message, context, cancellationToken),
            _ => InformAsync(message, context, cancellationToken),
        };
    }

    private ValueTask<DhcpReply?> Ignore(DhcpMessage message, string reason)
    {
        _metrics.Dropped(reason);
        DhcpLog.Ignored(_logger, message.MessageType.ToString(), message.TransactionId, MacOf(message), reason);
        return ValueTask.FromResult<DhcpReply?>(null);
    }

    /// <summary>
    /// The answer's boot decision with a fresh boot ticket when it sends iPXE to a URL (see <see cref="IBootTickets"/>);
    /// null when the ticket cannot be stored: the caller stays silent and the client retransmits.
    /// </summary>
    private async ValueTask<BootDecision?> WithTicketAsync(BootDecision? boot, ClientInfo client, string mac, uint address, string via, CancellationToken ct)
    {
        if (boot is not { IsUrl: true } || !client.IsIpxe || _tickets is null)
        {
            return boot;
        }

        try
        {
            var ticket = await _tickets.IssueAsync(new BootTicketGrant(mac, address == 0 ? null : Ipv4.ToAddress(address), via), ct);
            return boot with { Ticket = ticket };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            DhcpLog.TicketUnavailable(_logger, mac, ex.GetType().Name);
            return null;
        }
    }

    /// <summary>A forged or untrusted message (or one over a limit): dropped, counted by reason, one debug line naming its sender.</summary>
    private ValueTask<DhcpReply?> Refuse(DhcpMessage message, ReceiveContext context, string reason)
    {
        _metrics.Dropped(reason);
        DhcpLog.Refused(_logger, message.MessageType.ToString(), message.TransactionId, MacOf(message), context.Source.Address.ToString(), reason);
        return ValueTask.FromResult<DhcpReply?>(null);
    }

    private static string MacOf(DhcpMessage message) => MacAddress.FromOctets(message.HardwareAddress).ToString();

    /// <summary>RFC 2131 §4.3.1: a relayed request belongs to the scope of giaddr, a direct one to the arrival interface's.</summary>
    private DhcpScope? SelectScope(DhcpMessage message, ReceiveContext context) =>
        _scopes.FindContaining(message.RelayAddress != 0 ? message.RelayAddress : context.ServerAddress);

    private static ClientInfo ClientOf(DhcpMessage message) =>
        message.HasOption(DhcpOptionCode.VendorClass) || message.HasOption(DhcpOptionCode.UserClass) || message.HasOption(DhcpOptionCode.IpxeEncapsulated)
            ? ClientInfo.From(message)
            : PlainClient;

    /// <summary>Enrols or finds the blade; only network-booting clients, never plain DHCP clients.</summary>
    private async ValueTask<BladeBootProfile?> SightAsync(string mac, ClientInfo client, RelayInfo? relay, uint? address, CancellationToken cancellationToken)
    {
        if (!client.IsBootClient || _directory is null)
        {
            return null;
        }

        try
        {
            return await _directory.SightAsync(
                new BladeSighting(mac)
                {
                    SmbiosUuid = client.MachineId,
                    ClientArchitecture = client.Architecture,
                    Platform = client.Platform,
                    RelayCircuitId = relay?.CircuitId,
                    RelayRemoteId = relay?.RemoteId,
                    Address = address is uint a ? Ipv4.ToAddress(a) : null,
                    Source = "dhcp",
                },
                cancellationToken);
        }
        catch (EnrolmentRefusedException)
        {
            // Over the enrolment ceiling or rate: the directory counts and reports it; answered without a profile.
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            DhcpLog.DirectoryFailed(_logger, mac, ex);
            return null;
        }
    }

    private void Record(string kind, DhcpMessage message, string mac, ClientInfo client, uint? address, BootDecision? boot, BladeBootProfile? profile)
    {
        if (_timeline is null || !client.IsBootClient)
        {
            return;
        }

        var addressText = address is uint a && a != 0 ? Ipv4.Format(a) : null;
        _timeline.Record(new TimelineRecord("dhcp", "dhcp." + kind, $"DHCP {kind} {addressText ?? string.Empty} {boot?.BootFile ?? string.Empty}".TrimEnd())
        {
            Mac = mac,
            BladeId = profile?.BladeId,
            Address = address is uint b && b != 0 ? Ipv4.ToAddress(b) : null,
            Details = new Dictionary<string, object?>
            {
                ["xid"] = message.TransactionId.ToString("x8", System.Globalization.CultureInfo.InvariantCulture),
                ["arch"] = client.Architecture,
                ["userClass"] = client.UserClass,
                ["vendorClass"] = client.VendorClass,
                ["address"] = addressText,
                ["bootFile"] = boot?.BootFile,
            },
        });
    }

    /// <summary>RFC 2131 §4.1 reply addressing.</summary>
    private static DhcpReply Route(DhcpMessage request, DhcpMessageType type, byte[] payload, uint yourAddress, ReceiveContext context)
    {
        var broadcast = new IPEndPoint(IPAddress.Broadcast, ClientPort);
        if (context.LocalPort == ProxyPort)
        {
            return new DhcpReply(type, payload, context.Source);
        }

        if (request.RelayAddress != 0)
        {
            return new DhcpReply(type, payload, new IPEndPoint(Ipv4.ToAddress(request.RelayAddress), ServerPort));
        }

        if (type == DhcpMessageType.Nak)
        {
            return new DhcpReply(type, payload, broadcast);
        }

        if (request.ClientAddress != 0)
        {
            return new DhcpReply(type, payload, new IPEndPoint(Ipv4.ToAddress(request.ClientAddress), ClientPort));
        }

        if (request.Broadcast || yourAddress == 0)
        {
            return new DhcpReply(type, payload, broadcast);
        }

        return new DhcpReply(type, payload, new IPEndPoint(Ipv4.ToAddress(yourAddress), ClientPort))
        {
            UnicastHardwareAddress = request.HardwareAddress.ToArray(),
            Fallback = broadcast,
        };
    }
}
