using BladeProvisioner.Core.Errors;
using BladeProvisioner.Web.Errors;

namespace BladeProvisioner.Web.Auth;

/// <summary>401 and 403 for the API as ProblemDetails (never a redirect to the login page).</summary>
internal static class AuthProblems
{
    public const string AuthRequired = ErrorCodes.AuthRequired;
    public const string Forbidden = "FORBIDDEN";
    public const string CsrfFailed = ErrorCodes.CsrfFailed;

    public static bool IsApi(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal)
        || context.Request.Path.StartsWithSegments("/openapi", StringComparison.Ordinal);

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
