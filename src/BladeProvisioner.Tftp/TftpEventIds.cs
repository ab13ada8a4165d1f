namespace BladeProvisioner.Tftp;

/// <summary>
/// The Tftp module's <c>[LoggerMessage]</c> event ids, in one place so that they stay unique and stable (a test checks
/// uniqueness across every BladeProvisioner assembly). Never reuse or renumber one: log queries match on them.
/// </summary>
internal static class TftpEventIds
{
    // Server/TftpLog
    public const int Disabled = 4001;
    public const int WaitingForReadiness = 4002;
    public const int Listening = 4003;
    public const int Malformed = 4004;
    public const int TransferEnded = 4005;
    public const int Refused = 4006;
    public const int Busy = 4007;
    public const int HandlerFailed = 4008;
    public const int SocketError = 4009;
    public const int TransferFailed = 4010;
    public const int RootMissing = 4011;
    public const int ClientBusy = 4012;
    public const int TransferExpired = 4013;
    public const int HeldNotReady = 4014;
}
