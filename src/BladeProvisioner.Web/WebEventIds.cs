namespace BladeProvisioner.Web;

/// <summary>
/// The Web module's <c>[LoggerMessage]</c> event ids, in one place so that they stay unique and stable (a test checks
/// uniqueness across every BladeProvisioner assembly). Never reuse or renumber one: log queries match on them.
/// </summary>
internal static class WebEventIds
{
    // Auth/AuthBootstrap
    public const int AuthBootstrapToken = 8001;
    public const int AuthSetupToken = 8002;

    // Auth/AuthLog
    public const int AuthSignedIn = 8010;
    public const int AuthSignInFailed = 8011;
    public const int AuthSignInThrottled = 8012;
    public const int AuthFirstAdminCreated = 8013;
    public const int AuthSessionEnded = 8014;

    // Errors/ApiExceptionHandler
    public const int ApiUnhandled = 8101;
}
