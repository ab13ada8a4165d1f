using System.Net;
using Microsoft.Extensions.Logging;

namespace BladeProvisioner.Tftp.Server;

/// <summary>TFTP log messages; event ids 4001-4099 belong to this module.</summary>
internal static partial class TftpLog
{
    [LoggerMessage(EventId = TftpEventIds.Disabled, Level = LogLevel.Information, Message = "TFTP disabled (Tftp:Enabled=false)")]
    public static partial void Disabled(ILogger logger);

    [LoggerMessage(EventId = TftpEventIds.WaitingForReadiness, Level = LogLevel.Information, Message = "TFTP waiting for appliance readiness before binding")]
    public static partial void WaitingForReadiness(ILogger logger);

    [LoggerMessage(EventId = TftpEventIds.Listening, Level = LogLevel.Information, Message = "TFTP listening on {EndPoint} (interface {Interface}), root {Root}")]
    public static partial void Listening(ILogger logger, IPEndPoint endPoint, string @interface, string root);

    [LoggerMessage(EventId = TftpEventIds.Malformed, Level = LogLevel.Debug, Message = "TFTP malformed packet from {Client}: {Reason}")]
    public static partial void Malformed(ILogger logger, IPEndPoint client, string reason);

    [LoggerMessage(
        EventId = TftpEventIds.TransferEnded,
        Level = LogLevel.Information,
        Message = "TFTP {File} to {Client}: {Outcome}, {Bytes} bytes, blksize {BlockSize}, windowsize {WindowSize}, {Retransmits} retransmits, {DurationMs:F1} ms")]
    public static partial void TransferEnded(ILogger logger, string file, IPEndPoint client, string outcome, long bytes, int blockSize, int windowSize, long retransmits, double durationMs);

    [LoggerMessage(EventId = TftpEventIds.Refused, Level = LogLevel.Information, Message = "TFTP refused {File} for {Client}: {Code} {Reason}")]
    public static partial void Refused(ILogger logger, string file, IPEndPoint client, string code, string reason);

    [LoggerMessage(EventId = TftpEventIds.Busy, Level = LogLevel.Warning, Message = "TFTP refused {Client}: {Active} transfers already running (Tftp:MaxConcurrentTransfers)")]
    public static partial void Busy(ILogger logger, IPEndPoint client, int active);

    [LoggerMessage(EventId = TftpEventIds.HandlerFailed, Level = LogLevel.Error, Message = "TFTP unexpected error handling a packet from {Client}")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, IPEndPoint client);

    [LoggerMessage(EventId = TftpEventIds.SocketError, Level = LogLevel.Warning, Message = "TFTP socket error on {EndPoint}: {Error}")]
    public static partial void SocketError(ILogger logger, IPEndPoint endPoint, string error);

    [LoggerMessage(EventId = TftpEventIds.TransferFailed, Level = LogLevel.Error, Message = "TFTP transfer of {File} to {Client} failed")]
    public static partial void TransferFailed(ILogger logger, Exception exception, string file, IPEndPoint client);

    [LoggerMessage(EventId = TftpEventIds.ClientBusy, Level = LogLevel.Warning, Message = "TFTP refused {Client}: its address already runs {Limit} transfers (Tftp:MaxTransfersPerClient)")]
    public static partial void ClientBusy(ILogger logger, IPEndPoint client, int limit);

    [LoggerMessage(EventId = TftpEventIds.HeldNotReady, Level = LogLevel.Debug, Message = "TFTP read request from {Client} held: the appliance is not ready")]
    public static partial void HeldNotReady(ILogger logger, IPEndPoint client);

    [LoggerMessage(EventId = TftpEventIds.TransferExpired, Level = LogLevel.Warning, Message = "TFTP transfer of {File} to {Client} ended after {Seconds} s (Tftp:MaxTransferDuration)")]
    public static partial void TransferExpired(ILogger logger, string file, IPEndPoint client, double seconds);

    [LoggerMessage(EventId = TftpEventIds.RootMissing, Level = LogLevel.Warning, Message = "TFTP root {Root} does not exist yet")]
    public static partial void RootMissing(ILogger logger, string root);
}
