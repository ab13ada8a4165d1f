namespace BladeProvisioner.Platform;

/// <summary>
/// The Platform module's <c>[LoggerMessage]</c> event ids, in one place so that they stay unique and stable (a test checks
/// uniqueness across every BladeProvisioner assembly). Never reuse or renumber one: log queries match on them.
/// </summary>
internal static class PlatformEventIds
{
    // Processes/ProcessRunner
    public const int ProcessStarting = 9001;
    public const int ProcessFinished = 9002;
    public const int ProcessTimedOut = 9003;
}
