using Microsoft.Extensions.Logging;

namespace BladeProvisioner.Dhcp.Diagnostics;

/// <summary>The DHCP module's log events (33xx).</summary>
internal static partial class DhcpLog
{
    [LoggerMessage(EventId = DhcpEventIds.Malformed, Level = LogLevel.Debug, Message = "Dropped malformed DHCP packet from {Source} on {Interface}: {Reason}")]
    public static partial void Malformed(ILogger logger, string source, string @interface, string reason);

    [LoggerMessage(EventId = DhcpEventIds.Ignored, Level = LogLevel.Debug, Message = "Dropped DHCP {Type} xid {Xid:x8} from {Mac}: {Reason}")]
    public static partial void Ignored(ILogger logger, string type, uint xid, string mac, string reason);

    [LoggerMessage(EventId = DhcpEventIds.PoolExhausted, Level = LogLevel.Warning, Message = "Scope {Scope} has no free address for {Mac}")]
    public static partial void PoolExhausted(ILogger logger, string scope, string mac);

    [LoggerMessage(EventId = DhcpEventIds.Listening, Level = LogLevel.Information, Message = "DHCP {Mode} listening on {Interface} ({Address}) port {Port}")]
    public static partial void Listening(ILogger logger, string mode, string @interface, string address, int port);

    [LoggerMessage(EventId = DhcpEventIds.HandlerFailed, Level = LogLevel.Error, Message = "Unexpected error handling a DHCP packet on {Interface}; the server goes on")]
    public static partial void HandlerFailed(ILogger logger, string @interface, Exception exception);

    [LoggerMessage(EventId = DhcpEventIds.ProbeConflict, Level = LogLevel.Warning, Message = "Address {Address} in scope {Scope} answered a probe; kept out of the pool")]
    public static partial void ProbeConflict(ILogger logger, string address, string scope);

    [LoggerMessage(EventId = DhcpEventIds.Declined, Level = LogLevel.Warning, Message = "Client {Mac} declined {Address} in scope {Scope}; quarantined until {Until}")]
    public static partial void Declined(ILogger logger, string mac, string address, string scope, DateTimeOffset until);

    [LoggerMessage(EventId = DhcpEventIds.DirectoryFailed, Level = LogLevel.Warning, Message = "Blade directory failed for {Mac}; answering without the blade's profile")]
    public static partial void DirectoryFailed(ILogger logger, string mac, Exception exception);

    [LoggerMessage(EventId = DhcpEventIds.LeasesLoaded, Level = LogLevel.Information, Message = "Loaded {Count} leases; reclaimed {Reclaimed} expired")]
    public static partial void LeasesLoaded(ILogger logger, int count, int reclaimed);

    [LoggerMessage(EventId = DhcpEventIds.SendFailed, Level = LogLevel.Warning, Message = "Sending a DHCP reply to {Destination} on {Interface} failed")]
    public static partial void SendFailed(ILogger logger, string destination, string @interface, Exception exception);

    [LoggerMessage(EventId = DhcpEventIds.ProbeUnavailable, Level = LogLevel.Warning, Message = "Probe-before-offer is unavailable on {Interface}; offering without it")]
    public static partial void ProbeUnavailable(ILogger logger, string @interface, Exception exception);

    [LoggerMessage(EventId = DhcpEventIds.ReclaimFailed, Level = LogLevel.Warning, Message = "Lease reclaim failed")]
    public static partial void ReclaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = DhcpEventIds.LostRace, Level = LogLevel.Debug, Message = "Lease for {Address} in scope {Scope} is held by another client or node; NAK to {Mac}")]
    public static partial void LostRace(ILogger logger, string address, string scope, string mac);

    [LoggerMessage(EventId = DhcpEventIds.TicketUnavailable, Level = LogLevel.Warning, Message = "No boot ticket could be stored for {Mac} ({Error}); not answering, the client retransmits")]
    public static partial void TicketUnavailable(ILogger logger, string mac, string error);

    [LoggerMessage(EventId = DhcpEventIds.Refused, Level = LogLevel.Debug, Message = "Refused DHCP {Type} xid {Xid:x8} for {Mac} sent by {Source}: {Reason}")]
    public static partial void Refused(ILogger logger, string type, uint xid, string mac, string source, string reason);
}
