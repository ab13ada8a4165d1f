using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace BladeProvisioner.EndToEnd;

/// <summary>
/// The appliance's REST API as the lab's admin sees it (bearer token from <c>Auth:BootstrapApiToken</c>), over the
/// management listener's HTTPS: the certificate the appliance generated (the lab's <c>cert_file</c>) is the only one trusted.
/// </summary>
internal sealed class ApplianceApi : IDisposable
{
    private readonly HttpClient _http;

    public ApplianceApi(string baseUrl, string token, string certificateFile)
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certificateFile));
        var pinned = SHA256.HashData(certificate.RawData);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && SHA256.HashData(presented.GetRawCertData()).AsSpan().SequenceEqual(pinned),
            },
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public async Task<JsonArray> ListAsync(string path, CancellationToken ct) =>
        (await GetAsync(path, ct))?.AsArray() ?? [];

    public async Task<JsonNode?> GetAsync(string path, CancellationToken ct)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative), ct);
        await EnsureAsync(response, "GET " + path, ct);
        return await response.Content.ReadFromJsonAsync<JsonNode>(ct);
    }

    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await _http.SendAsync(request, ct);
        await EnsureAsync(response, $"{method} {path}", ct);
        return response.Content.Headers.ContentLength == 0 ? null : await response.Content.ReadFromJsonAsync<JsonNode>(ct);
    }

    /// <summary>The blade enrolled under this boot MAC, once it has been seen (searched for: the list is paged).</summary>
    public async Task<JsonNode?> FindBladeAsync(string mac, CancellationToken ct) =>
        (await ListAsync("/api/blades?q=" + Uri.EscapeDataString(mac.ToLowerInvariant()), ct)).FirstOrDefault(b => string.Equals((string?)b?["bootMac"], mac, StringComparison.OrdinalIgnoreCase));

    public async Task<JsonNode> WaitForBladeAsync(string mac, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await FindBladeAsync(mac, ct) is { } blade)
            {
                return blade;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No blade with boot MAC {mac} enrolled within {timeout.TotalSeconds:0} s.");
            }

            await Task.Delay(250, ct);
        }
    }

    /// <summary>A blade's timeline, oldest first.</summary>
    public async Task<List<TimelineEvent>> TimelineAsync(long bladeId, CancellationToken ct)
    {
        var events = await ListAsync($"/api/events?bladeId={bladeId}&limit=5000", ct);
        return events.Select(e => new TimelineEvent(
                (long)e!["id"]!,
                DateTimeOffset.Parse((string)e["at"]!, CultureInfo.InvariantCulture),
                (string)e["kind"]!,
                (string)e["summary"]!))
            .OrderBy(e => e.Id)
            .ToList();
    }

    /// <summary>Waits until the blade's timeline holds an event of this kind after <paramref name="afterId"/>.</summary>
    public async Task<TimelineEvent> WaitForEventAsync(long bladeId, string kind, long afterId, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var events = await TimelineAsync(bladeId, ct);
            if (events.FirstOrDefault(e => e.Id > afterId && e.Kind == kind) is { } found)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Blade {bladeId}: no '{kind}' event within {timeout.TotalSeconds:0} s. Timeline:\n" +
                    string.Join('\n', events.TakeLast(25).Select(e => $"  {e.At:HH:mm:ss.fff} {e.Kind} {e.Summary}")));
            }

            await Task.Delay(250, ct);
        }
    }

    public async Task<JsonNode> WaitForJobAsync(long jobId, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var job = await GetAsync($"/api/jobs/{jobId}", ct) ?? throw new InvalidOperationException($"job {jobId} vanished");
            var state = (string?)job["state"];
            if (state is "Succeeded")
            {
                return job;
            }

            if (state is "Failed" or "Cancelled")
            {
                throw new InvalidOperationException($"Job {jobId} ({job["kind"]}) ended {state}: {job["error"]}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Job {jobId} is still {state} after {timeout.TotalSeconds:0} s.");
            }

            await Task.Delay(250, ct);
        }
    }

    /// <summary>A plain-text answer (the boot dry run).</summary>
    public Task<string> TextAsync(string path, CancellationToken ct) => _http.GetStringAsync(new Uri(path, UriKind.Relative), ct);

    public void Dispose() => _http.Dispose();

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            throw new HttpRequestException($"{what}: {(int)response.StatusCode} {body}");
        }
    }
}

/// <summary>One timeline entry of a blade.</summary>
internal sealed record TimelineEvent(long Id, DateTimeOffset At, string Kind, string Summary);
