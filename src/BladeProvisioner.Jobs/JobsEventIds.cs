namespace BladeProvisioner.Jobs;

/// <summary>Event ids of the Jobs module's log messages: 2000–2199.</summary>
internal static class JobsEventIds
{
    public const int Started = 2001;
    public const int Finished = 2002;
    public const int Failed = 2003;
    public const int AlreadyRunning = 2004;
    public const int Interrupted = 2005;
    public const int CleanupFailed = 2006;
    public const int WaitingForSlot = 2007;
    public const int Fenced = 2008;
    public const int LockLost = 2009;
    public const int Rescheduling = 2101;
    public const int SweepFailed = 2102;
    public const int SweepSkipped = 2103;
    public const int RecurringRegistrationFailed = 2104;
    public const int RetentionSwept = 2105;
    public const int EngineConfigured = 2110;
}
