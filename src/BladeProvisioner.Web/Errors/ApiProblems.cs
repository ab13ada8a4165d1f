using BladeProvisioner.Core.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace BladeProvisioner.Web.Errors;

/// <summary>ProblemDetails with a stable <c>code</c> extension, for every error the API returns.</summary>
public static class ApiProblems
{
    public static ProblemHttpResult From(string code, ErrorKind kind, string detail) => TypedResults.Problem(Build(code, StatusFor(kind), detail));

    public static ProblemHttpResult Invalid(string detail, string code = ErrorCodes.ValidationFailed) => From(code, ErrorKind.Invalid, detail);

    public static ProblemDetails Build(string code, int status, string detail) => new()
    {
        Status = status,
        Title = TitleFor(status),
        Detail = detail,
        Type = $"https://bladeprovisioner.dev/errors/{code.ToLowerInvariant().Replace('_', '-')}",
        Extensions = { ["code"] = code },
    };

    public static int StatusFor(ErrorKind kind) => kind switch
    {
        ErrorKind.Invalid => StatusCodes.Status400BadRequest,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict => StatusCodes.Status409Conflict,
        ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorKind.InsufficientStorage => StatusCodes.Status507InsufficientStorage,
        _ => StatusCodes.Status500InternalServerError,
    };

    private static string TitleFor(int status) => status switch
    {
        400 => "The request is not valid.",
        401 => "Authentication is required.",
        403 => "Not allowed.",
        404 => "Not found.",
        409 => "Conflict with the current state.",
        503 => "The appliance is not ready.",
        507 => "Not enough storage.",
        _ => "The appliance failed to handle the request.",
    };
}
