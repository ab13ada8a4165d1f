using BladeProvisioner.Core.Errors;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace BladeProvisioner.Web.Errors;

/// <summary>
/// Turns typed failures into ProblemDetails: a <see cref="DomainException"/> by its kind and code, a unique violation
/// into 409 naming the constraint, a lost optimistic-concurrency race into 409, malformed JSON into 400. Anything else
/// is a 500 with no internals in the body (they are in the log).
/// </summary>
internal sealed partial class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (code, status, detail) = exception switch
        {
            DomainException d => (d.Code, ApiProblems.StatusFor(d.Kind), d.Message),
            DbUpdateConcurrencyException => (ErrorCodes.ConcurrencyConflict, 409, "Someone else changed this record; reload and try again."),
            DbUpdateException { InnerException: PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } pg } =>
                (ErrorCodes.UniqueViolation, 409, $"A record with the same unique value already exists ({pg.ConstraintName})."),
            DbUpdateException { InnerException: PostgresException { SqlState: PostgresErrorCodes.CheckViolation } pg } =>
                (ErrorCodes.ValidationFailed, 400, $"A value is out of range ({pg.ConstraintName})."),
            BadHttpRequestException b => (ErrorCodes.ValidationFailed, 400, b.Message),
            _ => (ErrorCodes.Internal, 500, "The appliance failed to handle the request; the log has the details."),
        };
        // A refusal the appliance chose (507 past the storage reserve, 503 not ready) is an answer, not a fault: the
        // service that refused logs it in its own words.
        if (status >= 500 && exception is not DomainException)
        {
            LogUnhandled(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = ApiProblems.Build(code, status, detail),
            Exception = exception,
        });
    }

    [LoggerMessage(EventId = WebEventIds.ApiUnhandled, Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}
