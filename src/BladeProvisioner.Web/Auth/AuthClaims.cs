namespace BladeProvisioner.Web.Auth;

internal static class AuthClaims
{
    /// <summary>How the caller signed in: <c>password</c> (cookie) or <c>token</c> (bearer).</summary>
    public const string Method = "bp:auth";

    /// <summary>The account id of a password session.</summary>
    public const string UserId = "bp:uid";

    /// <summary>The account's session version when the session was made; a later change of the account ends it.</summary>
    public const string SessionVersion = "bp:sv";
}
