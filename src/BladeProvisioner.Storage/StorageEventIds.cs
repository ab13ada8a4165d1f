namespace BladeProvisioner.Storage;

/// <summary>
/// The Storage module's <c>[LoggerMessage]</c> event ids, in one place so that they stay unique and stable (a test checks
/// uniqueness across every BladeProvisioner assembly). Never reuse or renumber one: log queries match on them.
/// </summary>
internal static class StorageEventIds
{
    // Targets/Tgt/TgtDriver
    public const int TgtTargetCreated = 5100;
    public const int TgtLunCorrected = 5101;
    public const int TgtChapCorrected = 5102;
    public const int TgtAclCorrected = 5103;
    public const int TgtTargetRemoved = 5104;
    public const int TgtUnreadableShow = 5105;

    // Targets/Tgt/TgtdSupervisor
    public const int TgtdStarting = 5150;
    public const int TgtdExited = 5151;
    public const int TgtdStartFailed = 5152;
    public const int TgtdStopped = 5153;
    public const int TgtdStopFailed = 5154;
    // 5155 was TgtdSays: a detached tgtd no longer writes into the appliance's log (not to be reused).
    public const int TgtdLeftRunning = 5156;

    // Targets/Lio/LioDriver
    public const int LioCreating = 5170;
    public const int LioRecreating = 5171;
    public const int LioRemoved = 5172;

    // Targets/Reconciler/TargetReconciler
    public const int ReconcileDrift = 5200;
    public const int ReconcileEnsureFailed = 5201;
    public const int ReconcileUnknown = 5202;
    public const int ReconcileRemovedUnknown = 5203;
    public const int ReconcilePass = 5204;

    // Targets/Reconciler/TargetReconcilerService
    public const int ReconcilerNotRunning = 5210;
    public const int ReconcilerPassFailed = 5211;

    // Targets/Sessions/SessionObserver
    public const int SessionLogin = 5220;
    public const int SessionLogout = 5221;
    public const int SessionPollFailed = 5222;
    public const int SessionPollRecovered = 5223;

    // Cloning/VolumeCopier
    public const int CloneCopyStarting = 5301;
    public const int CloneReflinked = 5302;
    public const int CloneCopied = 5303;
    public const int CloneResumeImpossible = 5304;
    public const int CloneCopyFailed = 5305;
    public const int CloneRemovedLeftover = 5306;
    public const int CloneRemoveFailed = 5307;

    // Partitioning/VolumePartitioner
    public const int PartitionPersonalized = 5401;
    public const int PartitionExtendedNotGrown = 5402;

    // Identity/OsPersonalizer
    public const int IdentityPersonalized = 5411;
    public const int IdentitySkipped = 5412;

    // Capacity/StorageCapacity, StoreDirectories
    public const int CapacityRefused = 5501;
    public const int CapacityLayout = 5502;
    public const int CapacitySharedDatabase = 5503;
    public const int CapacityLow = 5504;
}
