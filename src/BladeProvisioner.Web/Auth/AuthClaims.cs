namespace BladeProvisioner.Web.Auth;

internal static class AuthClaims
{
    /// <summary>How the caller signed in: <c>password</c> (cookie) or <c>token</c> (bearer).</summary>
    public const string Method = "bp:auth";
}
