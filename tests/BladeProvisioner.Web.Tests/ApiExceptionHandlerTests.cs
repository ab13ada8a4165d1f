using System.Text.Json;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Web.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace BladeProvisioner.Web.Tests;

public sealed class ApiExceptionHandlerTests
{
    public static TheoryData<Exception, int, string> Cases() => new()
    {
        { DomainException.Invalid("SOME_INPUT", "bad"), 400, "SOME_INPUT" },
        { DomainException.NotFound(ErrorCodes.BladeNotFound, "gone"), 404, ErrorCodes.BladeNotFound },
        { DomainException.Conflict(ErrorCodes.IllegalTransition, "no"), 409, ErrorCodes.IllegalTransition },
        { new DomainException("X", ErrorKind.Unavailable, "later"), 503, "X" },
        { DomainException.InsufficientStorage(ErrorCodes.InsufficientStorage, "full"), 507, ErrorCodes.InsufficientStorage },
        { new DbUpdateConcurrencyException("race"), 409, ErrorCodes.ConcurrencyConflict },
        { new BadHttpRequestException("bad json"), 400, ErrorCodes.ValidationFailed },
        { new InvalidOperationException("secret internals"), 500, ErrorCodes.Internal },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task MapsFailuresToProblemDetailsWithAStableCode(Exception exception, int status, string code)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var handler = new ApiExceptionHandler(services.GetRequiredService<IProblemDetailsService>(), NullLogger<ApiExceptionHandler>.Instance);
        var http = new DefaultHttpContext { RequestServices = services };
        http.Response.Body = new MemoryStream();

        Assert.True(await handler.TryHandleAsync(http, exception, TestContext.Current.CancellationToken));

        Assert.Equal(status, http.Response.StatusCode);
        http.Response.Body.Position = 0;
        using var doc = await JsonDocument.ParseAsync(http.Response.Body, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(code, doc.RootElement.GetProperty("code").GetString());
        Assert.Equal(status, doc.RootElement.GetProperty("status").GetInt32());

        // Internals of unexpected failures stay in the log, not in the response.
        Assert.DoesNotContain("secret internals", doc.RootElement.GetRawText(), StringComparison.Ordinal);
    }
}
