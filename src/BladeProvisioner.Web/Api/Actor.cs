namespace BladeProvisioner.Web.Api;

/// <summary>Who made a change, for the audit log: the signed-in user, else "api".</summary>
internal static class Actor
{
    public static string Of(HttpContext http) => http.User.Identity?.IsAuthenticated == true && http.User.Identity.Name is { Length: > 0 } n ? n : "api";
}
