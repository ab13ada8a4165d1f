using BladeProvisioner.Core.Errors;
using BladeProvisioner.Web.Errors;

namespace BladeProvisioner.Web.Auth;

/// <summary>401 and 403 for the API as ProblemDetails (never a redirect to the login page).</summary>
internal static class AuthProblems
{
    public const string AuthRequired = ErrorCodes.AuthRequired;
    public const string Forbidden = "FORBIDDEN";
    public const string CsrfFailed = ErrorCodes.CsrfFailed;

    /// <summary>
    /// Whether the request is for the API. Routing matches paths without regard to case, so this test must too: a
    /// case-sensitive one let a cookie POST to /API/... reach the endpoint past the CSRF check.
    /// </summary>
    public static bool IsApi(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
        || context.Request.Path.StartsWithSegments("/openapi", StringComparison.OrdinalIgnoreCase);

    public static Task WriteUnauthorizedAsync(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Write(context, AuthRequired, StatusCodes.Status401Unauthorized, "Sign in, or send an API token as 'Authorization: Bearer <token>'.");
    }

    public static Task WriteForbiddenAsync(HttpContext context) =>
        Write(context, Forbidden, StatusCodes.Status403Forbidden, "Your role does not allow this.");

    public static Task Write(HttpContext context, string code, int status, string detail)
    {
        context.Response.StatusCode = status;
        return TypedResults.Problem(ApiProblems.Build(code, status, detail)).ExecuteAsync(context);
    }
}
