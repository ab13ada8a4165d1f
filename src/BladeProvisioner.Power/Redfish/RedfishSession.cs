using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BladeProvisioner.Power.Redfish;

/// <summary>
/// The HTTP side of one Redfish conversation: basic auth on every request, a timeout per request, and every failure
/// turned into a <see cref="PowerException"/> with a stable code. Credentials never reach a message or a log.
/// </summary>
internal sealed class RedfishSession(HttpClient client, Uri baseUri, string username, string password, string? pinnedSha256, TimeSpan timeout)
{
    /// <summary>Request option read by the certificate callback: the blade's pinned certificate hash.</summary>
    public static readonly HttpRequestOptionsKey<string> PinKey = new("BladeProvisioner.Power.PinnedSha256");

    private readonly AuthenticationHeaderValue _auth =
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));

    public Uri BaseUri => baseUri;

    public async Task<(JsonObject Body, string? ETag)> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var request = NewRequest(HttpMethod.Get, path, body: null);
        var (status, text, etag) = await SendAsync(request, cancellationToken);
        return (Parse(text, path, status), etag);
    }

    public async Task SendJsonAsync(HttpMethod method, string path, JsonObject body, string? ifMatch, CancellationToken cancellationToken)
    {
        using var request = NewRequest(method, path, body);
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        await SendAsync(request, cancellationToken);
    }

    private HttpRequestMessage NewRequest(HttpMethod method, string path, JsonObject? body)
    {
        var request = new HttpRequestMessage(method, new Uri(baseUri, path));
        request.Headers.Authorization = _auth;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.TryAddWithoutValidation("OData-Version", "4.0");
        if (pinnedSha256 is not null)
        {
            request.Options.Set(PinKey, pinnedSha256);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return request;
    }

    private async Task<(HttpStatusCode Status, string Text, string? ETag)> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var what = $"{request.Method} {request.RequestUri!.AbsolutePath}";
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, cts.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PowerException(PowerErrorCodes.Timeout, $"Redfish {what}: no answer from {baseUri.Authority} within {timeout.TotalSeconds:F0} s.", ex);
        }
        catch (HttpRequestException ex) when (ex.InnerException is AuthenticationException)
        {
            throw new PowerException(
                PowerErrorCodes.CertificateUntrusted,
                $"Redfish {what}: the certificate of {baseUri.Authority} is not trusted; pin its SHA-256 for this blade to accept it.",
                ex);
        }
        catch (HttpRequestException ex)
        {
            throw new PowerException(PowerErrorCodes.Unreachable, $"Redfish {what}: cannot reach {baseUri.Authority} ({ex.HttpRequestError}).", ex);
        }

        using (response)
        {
            string text;
            try
            {
                text = await response.Content.ReadAsStringAsync(cts.Token);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new PowerException(PowerErrorCodes.Timeout, $"Redfish {what}: the answer from {baseUri.Authority} did not finish within {timeout.TotalSeconds:F0} s.", ex);
            }

            if (response.IsSuccessStatusCode)
            {
                return (response.StatusCode, text, response.Headers.ETag?.ToString());
            }

            var status = (int)response.StatusCode;
            var detail = ErrorMessage(text);
            var code = status switch
            {
                401 => PowerErrorCodes.AuthFailed,
                403 => PowerErrorCodes.PermissionDenied,
                404 => PowerErrorCodes.ResourceNotFound,
                _ => PowerErrorCodes.CommandFailed,
            };
            var meaning = status switch
            {
                401 => "the BMC refused the user name or password",
                403 => "the BMC account may not do this",
                404 => "the BMC has no such resource",
                >= 500 => "the BMC failed internally",
                _ => "the BMC rejected the request",
            };
            throw new PowerException(code, $"Redfish {what}: {meaning} (HTTP {status}{(detail is null ? string.Empty : ": " + detail)}).");
        }
    }

    private static JsonObject Parse(string text, string path, HttpStatusCode status)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject
                ?? throw new PowerException(PowerErrorCodes.ProtocolError, $"Redfish GET {path}: HTTP {(int)status} with no JSON object.");
        }
        catch (JsonException ex)
        {
            throw new PowerException(PowerErrorCodes.ProtocolError, $"Redfish GET {path}: the answer is not JSON ({ex.Message}).", ex);
        }
    }

    /// <summary>The Redfish error body's words: <c>error.@Message.ExtendedInfo[0].Message</c>, else <c>error.message</c>.</summary>
    internal static string? ErrorMessage(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            var error = JsonNode.Parse(text)?["error"];
            var extended = error?["@Message.ExtendedInfo"] as JsonArray;
            var message = extended is { Count: > 0 } ? extended[0]?["Message"]?.GetValue<string>() : null;
            message ??= error?["message"]?.GetValue<string>();
            return message is { Length: > 300 } ? message[..300] : message;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
