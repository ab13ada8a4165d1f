namespace BladeProvisioner.Web.Auth;

internal static partial class AuthLog
{
    [LoggerMessage(EventId = WebEventIds.AuthSignedIn, Level = LogLevel.Information, Message = "User {User} signed in from {Address}")]
    public static partial void SignedIn(ILogger logger, string user, string address);

    [LoggerMessage(EventId = WebEventIds.AuthSignInFailed, Level = LogLevel.Warning, Message = "Failed sign-in for {User} from {Address}")]
    public static partial void SignInFailed(ILogger logger, string user, string address);

    [LoggerMessage(EventId = WebEventIds.AuthSignInThrottled, Level = LogLevel.Warning, Message = "Sign-in for {User} from {Address} refused: too many failures, retry in {Seconds} s")]
    public static partial void SignInThrottled(ILogger logger, string user, string address, int seconds);

    [LoggerMessage(EventId = WebEventIds.AuthFirstAdminCreated, Level = LogLevel.Warning, Message = "First admin {User} created through /setup from {Address}")]
    public static partial void FirstAdminCreated(ILogger logger, string user, string address);

    [LoggerMessage(EventId = WebEventIds.AuthSessionEnded, Level = LogLevel.Information, Message = "Session of {User} ended: the account was deleted or its role or password changed")]
    public static partial void SessionEnded(ILogger logger, string user);
}
