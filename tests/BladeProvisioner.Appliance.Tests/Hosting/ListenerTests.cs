using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests.Hosting;

/// <summary>
/// The admin plane apart from the boot plane, on the appliance as a real process: the blades' listener serves
/// <c>/boot/**</c> and health only, the management listener is HTTPS with a certificate that stays the same across
/// restarts, and neither answers a Host that is not the appliance (DNS rebinding).
/// </summary>
public sealed class ListenerTests(PostgresServer postgres)
{
    [Fact]
    public async Task ProvisioningListenerServesTheBootConversationAndNothingAnOperatorUses()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("bp-listen");
        await using var appliance = new ApplianceProcess(dir.Path, await postgres.CreateEmptyDatabaseAsync("listen"), "--Appliance:NodeName", "listen-test");
        await appliance.StartAsync();
        using var blades = new HttpClient { BaseAddress = appliance.ProvisioningAddress, Timeout = TimeSpan.FromSeconds(30) };

        // What a blade needs works here: the entry script chains to this very listener; health for a load balancer.
        using (var entry = await blades.GetAsync("boot/ipxe", ct))
        {
            var script = await entry.Content.ReadAsStringAsync(ct);
            Assert.True(entry.StatusCode == HttpStatusCode.OK, script);
            Assert.StartsWith("#!ipxe", script, StringComparison.Ordinal);
            Assert.Contains($"http://127.0.0.1:{appliance.ProvisioningPort}/boot/blade", script, StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, (await blades.GetAsync("health/ready", ct)).StatusCode);

        // Everything else is 404 — with the admin's own token too, whatever the case of the path.
        foreach (var path in new[]
        {
            "api/blades", "API/blades", "api/users", "api/boot/preview?mac=52:54:00:00:00:01&platform=Bios", "login", "Login", "setup",
            "jobs/hangfire", "jobs", "", "users", "openapi/v1.json", "metrics", "assets/site.css", "favicon.ico", "no/such/thing",
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", appliance.ApiToken);
            using var response = await blades.SendAsync(request, ct);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"GET /{path} on the provisioning listener answered {(int)response.StatusCode}");
        }

        foreach (var path in new[] { "login", "setup", "api/tokens", "api/blades" })
        {
            using var post = await blades.PostAsync(path, new StringContent("name=x&password=y", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"), ct);
            Assert.True(post.StatusCode == HttpStatusCode.NotFound, $"POST /{path} on the provisioning listener answered {(int)post.StatusCode}");
        }

        // The management listener is the other way round: the UI and API, no boot conversation.
        using var anonymous = appliance.ManagementClient(allowAutoRedirect: false);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("login", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await appliance.Http.GetAsync("api/blades", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("health/ready", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("boot/ipxe", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("BOOT/ipxe", ct)).StatusCode);
    }

    [Fact]
    public async Task AForeignHostHeaderIsRefusedOnBothListeners()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("bp-rebind");
        await using var appliance = new ApplianceProcess(
            dir.Path, await postgres.CreateEmptyDatabaseAsync("rebind"), "--Appliance:NodeName", "rebind-test", "--Listeners:Management:Names:0", "bp.example.test");
        await appliance.StartAsync();
        using var blades = new HttpClient { BaseAddress = appliance.ProvisioningAddress, Timeout = TimeSpan.FromSeconds(30) };

        // A page at http://attacker.example whose name the attacker rebinds to the appliance: the browser sends its own name.
        foreach (var host in new[] { "attacker.example", $"attacker.example:{appliance.ProvisioningPort}", "127.0.0.1.attacker.example", "10.99.73.1" })
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(blades, "boot/ipxe", host, null, ct)).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(blades, "boot/blade?mac=52-54-00-00-00-01&platform=pcbios", host, null, ct)).StatusCode);
        }

        using var management = appliance.ManagementClient(allowAutoRedirect: false);
        foreach (var host in new[] { "attacker.example", $"attacker.example:{appliance.Port}" })
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(management, "login", host, null, ct)).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(management, "api/blades", host, appliance.ApiToken, ct)).StatusCode);
        }

        // The appliance's own names and addresses are answered.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(blades, "boot/ipxe", $"localhost:{appliance.ProvisioningPort}", null, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(blades, "boot/ipxe", $"127.0.0.1:{appliance.ProvisioningPort}", null, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(management, "api/blades", "bp.example.test", appliance.ApiToken, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(management, "api/blades", $"BP.example.test:{appliance.Port}", appliance.ApiToken, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(management, "api/blades", Environment.MachineName, appliance.ApiToken, ct)).StatusCode);
    }

    [Fact]
    public async Task ManagementListenerIsHttpsWithHstsAndItsGeneratedCertificateOutlivesARestart()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("bp-tls");
        await using var appliance = new ApplianceProcess(dir.Path, await postgres.CreateEmptyDatabaseAsync("tls"), "--Appliance:NodeName", "tls-test");
        await appliance.StartAsync();

        // The key is the appliance's alone; the fingerprint an operator pins is in the log.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(appliance.CertificateKeyPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(appliance.CertificateKeyPath)!));
        var fingerprint = appliance.CertificateFingerprint();
        Assert.Matches("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", fingerprint);
        Assert.Contains($"SHA-256 fingerprint {fingerprint}", appliance.FullLog(), StringComparison.Ordinal);
        Assert.Equal(fingerprint, await PresentedFingerprintAsync(appliance.Port, ct));

        // HTTPS with HSTS; the plain-HTTP provisioning listener sends none, and the management port speaks no plain HTTP.
        using (var login = await appliance.ManagementClient().GetAsync("login", ct))
        {
            Assert.True(login.Headers.TryGetValues("Strict-Transport-Security", out var hsts), "HSTS on the management listener");
            Assert.StartsWith("max-age=31536000", Assert.Single(hsts), StringComparison.Ordinal);
        }

        using var blades = new HttpClient { BaseAddress = appliance.ProvisioningAddress };
        Assert.False((await blades.GetAsync("boot/ipxe", ct)).Headers.Contains("Strict-Transport-Security"));
        using var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{appliance.Port}/"), Timeout = TimeSpan.FromSeconds(10) };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetAsync("login", ct));

        // A restart (a crash, too) serves the same certificate from the same files.
        await appliance.KillAsync();
        var keyBytes = await File.ReadAllBytesAsync(appliance.CertificateKeyPath, ct);
        await appliance.StartAsync();
        Assert.Equal(fingerprint, appliance.CertificateFingerprint());
        Assert.Equal(fingerprint, await PresentedFingerprintAsync(appliance.Port, ct));
        Assert.Equal(keyBytes, await File.ReadAllBytesAsync(appliance.CertificateKeyPath, ct));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(appliance.CertificateKeyPath));
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(appliance.FullLog(), $"SHA-256 fingerprint {fingerprint}").Count);
    }

    [Fact]
    public async Task TheOldUrlsSettingStopsTheStartWithTheKeysToUseInstead()
    {
        using var dir = new TempDirectory("bp-urls");
        await using var appliance = new ApplianceProcess(dir.Path, await postgres.CreateEmptyDatabaseAsync("urls"), "--urls", "http://127.0.0.1:1");
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => appliance.StartAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("set Listeners:Provisioning", failed.Message, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string path, string host, string? token, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await client.SendAsync(request, ct);
    }

    /// <summary>The certificate the listener presents in the TLS handshake, whatever any client would accept.</summary>
    private static async Task<string> PresentedFingerprintAsync(int port, CancellationToken ct)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, ct);
        X509Certificate? seen = null;
        await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) =>
        {
            seen = certificate;
            return true;
        });
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "127.0.0.1" }, ct);
        return string.Join(':', SHA256.HashData(seen!.GetRawCertData()).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
    }
}
