namespace BladeProvisioner.Dhcp;

/// <summary>
/// The Dhcp module's <c>[LoggerMessage]</c> event ids, in one place so that they stay unique and stable (a test checks
/// uniqueness across every BladeProvisioner assembly). Never reuse or renumber one: log queries match on them.
/// </summary>
internal static class DhcpEventIds
{
    // Leases/PostgresLeaseStore
    public const int LeaseCommitFailed = 3301;

    // Diagnostics/DhcpLog
    public const int Malformed = 3310;
    public const int Ignored = 3311;
    public const int PoolExhausted = 3312;
    public const int Listening = 3313;
    public const int HandlerFailed = 3314;
    public const int ProbeConflict = 3315;
    public const int Declined = 3316;
    public const int DirectoryFailed = 3317;
    public const int LeasesLoaded = 3318;
    public const int SendFailed = 3319;
    public const int ProbeUnavailable = 3320;
    public const int ReclaimFailed = 3321;
    public const int LostRace = 3322;
    public const int Refused = 3323;
    public const int TicketUnavailable = 3340;
}
