using System.Net;
using System.Text;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests.Telemetry;

/// <summary>
/// Traces leave the appliance only when a collector is configured: with <c>Telemetry:OtlpEndpoint</c> set, spans of
/// the boot conversation, API requests and job runs reach an OTLP/HTTP receiver; without it nothing is sent.
/// </summary>
public sealed class TracingTests(PostgresServer postgres)
{
    [Fact]
    public async Task SpansOfBootApiAndJobsAreExportedOverOtlpWhenACollectorIsConfigured()
    {
        var ct = TestContext.Current.CancellationToken;
        using var collector = new OtlpReceiver();
        var cs = await postgres.CreateEmptyDatabaseAsync("otlp");
        await using (var factory = new ApplianceFactory(cs, new Dictionary<string, string>
        {
            ["Telemetry:OtlpEndpoint"] = collector.Endpoint,
            ["Telemetry:OtlpProtocol"] = "HttpProtobuf",
        }))
        {
            await factory.Services.WaitReadyAsync(ct);
            using var api = factory.CreateClient();
            await TestImages.ImportAsync(api, factory, "traced-image", "Bios", ct);
            // Without a boot ticket the request is refused: traced all the same.
            using var menu = await api.GetAsync("/boot/blade?mac=52-54-00-07-1e-01&platform=pcbios&buildarch=i386", ct);
            Assert.Equal(HttpStatusCode.Forbidden, menu.StatusCode);
            // A phone-home URL carries a clone's secret token: its span keeps the route, never the token.
            using var phoneHome = await api.PostAsync(
                Core.CloudInit.PhoneHomeToken.PathPrefix + SecretToken, new FormUrlEncodedContent([new("instance_id", "i-0")]), ct);
            Assert.Equal(HttpStatusCode.NotFound, phoneHome.StatusCode);

            // The batch exporter sends every few seconds; a stopping host flushes what is left.
            await Eventually.UntilAsync(() => Task.FromResult(collector.Text()), t => t.Contains("job image.import", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        }

        var text = collector.Text();
        Assert.Contains("/v1/traces", collector.Paths(), StringComparer.Ordinal);
        Assert.Contains("bladeprovisioner", text, StringComparison.Ordinal);
        Assert.Contains("job image.import", text, StringComparison.Ordinal);
        Assert.Contains("bp.job.kind", text, StringComparison.Ordinal);
        Assert.Contains("/boot/blade", text, StringComparison.Ordinal);
        Assert.Contains("/api/images/import", text, StringComparison.Ordinal);
        Assert.Contains("/cloud-init/phone-home/{token}", text, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretToken, text, StringComparison.Ordinal);
    }

    private const string SecretToken = "5ec4e7c0ffee5ec4e7c0ffee5ec4e7c0ffee5ec4e7c0ffee5ec4e7c0ffee5ec4";

    [Fact]
    public async Task WithoutACollectorNothingIsSent()
    {
        var ct = TestContext.Current.CancellationToken;
        using var collector = new OtlpReceiver();
        var cs = await postgres.CreateEmptyDatabaseAsync("nootlp");
        await using (var factory = new ApplianceFactory(cs))
        {
            await factory.Services.WaitReadyAsync(ct);
            using var api = factory.CreateClient();
            await TestImages.ImportAsync(api, factory, "untraced-image", "Bios", ct);
            Assert.Null(factory.Services.GetService(typeof(OpenTelemetry.Trace.TracerProvider)));
        }

        Assert.Empty(collector.Paths());
    }

    /// <summary>An OTLP/HTTP endpoint on loopback that keeps what it is sent (the protobuf carries names as UTF-8).</summary>
    private sealed class OtlpReceiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly List<(string Path, byte[] Body)> _received = [];
        private readonly Task _loop;

        public OtlpReceiver()
        {
            var port = ApplianceProcess.FreeTcpPort();
            Endpoint = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(Endpoint + "/");
            _listener.Start();
            _loop = Task.Run(LoopAsync);
        }

        /// <summary>The base address; the exporter posts traces to <c>/v1/traces</c> under it.</summary>
        public string Endpoint { get; }

        public string Text()
        {
            lock (_received)
            {
                return string.Join('\n', _received.Select(r => Encoding.UTF8.GetString(r.Body)));
            }
        }

        public List<string> Paths()
        {
            lock (_received)
            {
                return [.. _received.Select(r => r.Path)];
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _ = _loop.Wait(TimeSpan.FromSeconds(5));
        }

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (HttpListenerException)
                {
                    return;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                lock (_received)
                {
                    _received.Add((context.Request.Url!.AbsolutePath, body.ToArray()));
                }

                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        }
    }
}
