using Microsoft.Extensions.Logging;

namespace BladeProvisioner.Storage.Targets.Tgt;

// Event ids 5100-5149: the tgt driver. Secrets never appear in these messages.
public sealed partial class TgtDriver
{
    [LoggerMessage(EventId = StorageEventIds.TgtTargetCreated, Level = LogLevel.Information, Message = "Target {TargetIqn} created as tid {Tid}")]
    private static partial void LogTargetCreated(ILogger logger, string targetIqn, int tid);

    [LoggerMessage(EventId = StorageEventIds.TgtLunCorrected, Level = LogLevel.Information, Message = "Target {TargetIqn} LUN {Lun}: {Change}")]
    private static partial void LogLunCorrected(ILogger logger, string targetIqn, int lun, string change);

    [LoggerMessage(EventId = StorageEventIds.TgtChapCorrected, Level = LogLevel.Information, Message = "Target {TargetIqn} CHAP account {User}: {Change}")]
    private static partial void LogChapCorrected(ILogger logger, string targetIqn, string user, string change);

    [LoggerMessage(EventId = StorageEventIds.TgtAclCorrected, Level = LogLevel.Information, Message = "Target {TargetIqn} ACL {Initiator}: {Change}")]
    private static partial void LogAclCorrected(ILogger logger, string targetIqn, string initiator, string change);

    [LoggerMessage(EventId = StorageEventIds.TgtTargetRemoved, Level = LogLevel.Information, Message = "Target {TargetIqn} (tid {Tid}) removed; {Sessions} session(s) dropped")]
    private static partial void LogTargetRemoved(ILogger logger, string targetIqn, int tid, int sessions);

    [LoggerMessage(EventId = StorageEventIds.TgtUnreadableShow, Level = LogLevel.Error, Message = "tgtadm printed a target listing that cannot be read")]
    private static partial void LogUnreadableShow(ILogger logger);
}
