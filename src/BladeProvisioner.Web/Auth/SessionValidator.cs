using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace BladeProvisioner.Web.Auth;

/// <summary>
/// Every request with a session cookie is checked against the account it was made for: a deleted account, a changed
/// role or a changed password (the account's session version moved on) ends the session there and then, on every
/// node, instead of when the cookie expires. One indexed lookup per request; the UI is not a hot path.
/// </summary>
internal static class SessionValidator
{
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal;
        if (principal?.FindFirstValue(AuthClaims.Method) != "password")
        {
            return;
        }

        var accounts = context.HttpContext.RequestServices.GetRequiredService<AccountStore>();
        var live = long.TryParse(principal.FindFirstValue(AuthClaims.UserId), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            && int.TryParse(principal.FindFirstValue(AuthClaims.SessionVersion), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            && await accounts.SessionOfAsync(id, context.HttpContext.RequestAborted) is { } account
            && account.SessionVersion == version
            && principal.IsInRole(account.Role);
        if (live)
        {
            return;
        }

        var logger = context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SessionValidator));
        AuthLog.SessionEnded(logger, principal.Identity?.Name ?? "(unknown)");
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    }
}
