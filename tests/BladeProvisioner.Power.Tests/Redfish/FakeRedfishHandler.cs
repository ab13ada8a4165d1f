using System.Net;
using System.Text;

namespace BladeProvisioner.Power.Tests.Redfish;

/// <summary>Answers Redfish requests from recorded JSON files and remembers what was asked.</summary>
internal sealed class FakeRedfishHandler : HttpMessageHandler
{
    private readonly Dictionary<(string Method, string Path), Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>>> _routes = [];

    public List<RecordedRequest> Requests { get; } = [];

    public FakeRedfishHandler On(string method, string path, HttpStatusCode status, string? recordedFile = null, string? etag = null)
    {
        _routes[(method, path)] = (_, _) =>
        {
            var response = new HttpResponseMessage(status);
            if (recordedFile is not null)
            {
                response.Content = new StringContent(Recorded(recordedFile), Encoding.UTF8, "application/json");
            }

            if (etag is not null)
            {
                response.Headers.ETag = new System.Net.Http.Headers.EntityTagHeaderValue(etag, isWeak: true);
            }

            return Task.FromResult(response);
        };
        return this;
    }

    public FakeRedfishHandler On(string method, string path, Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer)
    {
        _routes[(method, path)] = answer;
        return this;
    }

    public static string Recorded(string file) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Redfish", "Recorded", file));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Add(new RecordedRequest(
            request.Method.Method,
            request.RequestUri!.AbsolutePath,
            request.RequestUri.Authority,
            body,
            request.Headers.Authorization?.ToString(),
            request.Headers.TryGetValues("If-Match", out var ifMatch) ? string.Join(",", ifMatch) : null));
        return _routes.TryGetValue((request.Method.Method, request.RequestUri.AbsolutePath), out var answer)
            ? await answer(request, cancellationToken)
            : new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new StringContent(Recorded("error-internal.json").Replace("InternalError", "ResourceMissingAtURI", StringComparison.Ordinal)) };
    }

    internal sealed record RecordedRequest(string Method, string Path, string Authority, string? Body, string? Authorization, string? IfMatch);
}

internal sealed class FakeHttpClientFactory(HttpMessageHandler handler) : IHttpClientFactory
{
    public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
}
