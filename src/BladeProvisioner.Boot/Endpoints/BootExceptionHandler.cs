using BladeProvisioner.Core.Blades;
using BladeProvisioner.Core.Boot;
using Microsoft.AspNetCore.Diagnostics;

namespace BladeProvisioner.Boot.Endpoints;

/// <summary>
/// A new MAC the blade directory would not enrol (<see cref="EnrolmentRefusedException"/>) gets, on the boot paths, a
/// 503 with a script that says why and tries again in a minute, like the readiness gate's, rather than an error
/// ProblemDetails and an error log line per request. Registered before the API's handler, which handles the rest.
/// </summary>
internal sealed class BootExceptionHandler : IExceptionHandler
{
    private const int RetrySeconds = 60;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not EnrolmentRefusedException refused || !httpContext.Request.Path.StartsWithSegments(BootUrls.Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetrySeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        httpContext.Response.ContentType = "text/plain; charset=utf-8";
        var message = Scripts.IpxeText.Display(refused.Message, 240);
        await httpContext.Response.WriteAsync($"#!ipxe\necho {message}\necho Retrying in {RetrySeconds} s\nsleep {RetrySeconds}\nchain ${{0}}\n", cancellationToken);
        return true;
    }
}
