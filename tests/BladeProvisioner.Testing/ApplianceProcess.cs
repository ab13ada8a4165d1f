using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace BladeProvisioner.Testing;

/// <summary>
/// The appliance as a real process (the built BladeProvisioner.Appliance.dll under dotnet), for tests that kill it,
/// restart it, or run two nodes on one database. Output goes to a log file that failing tests print. It listens on two
/// loopback ports: the blades' plain-HTTP provisioning listener (<see cref="ProvisioningAddress"/>, <c>/boot/**</c>) and the
/// HTTPS management listener (<see cref="ManagementAddress"/>, UI and API) with the certificate the appliance generates;
/// the clients made here trust that certificate by its fingerprint, read from the data directory as an operator would.
/// </summary>
public sealed class ApplianceProcess : IAsyncDisposable
{
    private readonly IReadOnlyList<string> _arguments;
    private readonly string _logPath;
    private readonly TgtInstance _tgt = TgtInstance.Claim();
    private Process? _process;
    private int _starts;

    public ApplianceProcess(string dataDirectory, string? connectionString, params string[] extraArguments)
    {
        DataDirectory = dataDirectory;
        Port = FreeTcpPort();
        ProvisioningPort = FreeTcpPort();
        ManagementAddress = new Uri($"https://127.0.0.1:{Port}/");
        ProvisioningAddress = new Uri($"http://127.0.0.1:{ProvisioningPort}/");
        List<string> args = [AppliancePath(), .. ListenerArguments(ProvisioningPort, Port), "--Appliance:DataDirectory", dataDirectory];
        if (connectionString is not null)
        {
            args.AddRange(["--ConnectionStrings:Appliance", connectionString]);
        }

        args.AddRange(_tgt.Arguments);

        // A test's appliance stops its tgtd on a graceful stop, as before tgtd outlived the appliance; a test of what a
        // running blade sees through a restart passes --Targets:StopTgtdOnShutdown false (the last value given wins).
        args.AddRange(["--Targets:StopTgtdOnShutdown", "true"]);
        args.AddRange(["--Auth:BootstrapApiToken", ApiToken]);
        args.AddRange(extraArguments);
        _arguments = args;
        _logPath = Path.Combine(dataDirectory, "appliance-test.log");
        Http = ManagementClient();
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiToken);
    }

    /// <summary>An admin API token made for this process (<c>Auth:BootstrapApiToken</c>); <see cref="Http"/> sends it.</summary>
    public string ApiToken { get; } = "bp-test-" + Guid.NewGuid().ToString("N");

    public string DataDirectory { get; }

    /// <summary>The appliance's own tgtd (control port, portal port on 127.0.0.1).</summary>
    public TgtInstance Tgt => _tgt;

    /// <summary>The management listener's port (HTTPS: UI, API, health, metrics).</summary>
    public int Port { get; }

    /// <summary>The provisioning listener's port (plain HTTP: <c>/boot/**</c> and health only).</summary>
    public int ProvisioningPort { get; }

    /// <summary><c>https://127.0.0.1:&lt;Port&gt;/</c>: the UI and the API.</summary>
    public Uri ManagementAddress { get; }

    /// <summary><c>http://127.0.0.1:&lt;ProvisioningPort&gt;/</c>: where blades talk to the appliance.</summary>
    public Uri ProvisioningAddress { get; }

    /// <summary>The UI and the API: <see cref="ManagementAddress"/>.</summary>
    public Uri BaseAddress => ManagementAddress;

    /// <summary>The generated management certificate (PEM), in the data directory.</summary>
    public string CertificatePath => Path.Combine(DataDirectory, "tls", "management.crt");

    /// <summary>The generated certificate's private key (PEM, 0600).</summary>
    public string CertificateKeyPath => Path.Combine(DataDirectory, "tls", "management.key");

    /// <summary>An admin client of the management listener (bearer <see cref="ApiToken"/>).</summary>
    public HttpClient Http { get; }

    /// <summary>Environment variables set for the process on every start (test hooks such as a clone phase pause).</summary>
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Starts the process and waits until <c>/health/ready</c> answers 200.</summary>
    public async Task StartAsync(TimeSpan? timeout = null)
    {
        Directory.CreateDirectory(DataDirectory);
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in _arguments)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in Environment)
        {
            psi.Environment[name] = value;
        }

        var log = new StreamWriter(_logPath, append: true, Encoding.UTF8) { AutoFlush = true };
        await log.WriteLineAsync($"===== start #{++_starts} at {DateTimeOffset.UtcNow:O}");
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => Write(log, e.Data);
        _process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitReadyAsync(timeout ?? TimeSpan.FromSeconds(90));
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly like a power cut of the appliance process.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: false);
            await p.WaitForExitAsync();
        }
    }

    /// <summary>Graceful stop (SIGTERM), as systemd would.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } p)
        {
            TestNetwork.Run("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await p.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>The log's last 20,000 characters, for failure messages.</summary>
    public string Log() => File.Exists(_logPath) ? ReadShared(_logPath, 20_000) : "(no log)";

    /// <summary>The whole log, for tests that parse it.</summary>
    public string FullLog() => File.Exists(_logPath) ? ReadShared(_logPath, int.MaxValue) : string.Empty;

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        Http.Dispose();
        _tgt.Dispose();
    }

    /// <summary>
    /// A client of the management listener that trusts exactly the certificate in <see cref="CertificatePath"/> (compared by
    /// SHA-256), the way an operator pins it; no token.
    /// </summary>
    public HttpClient ManagementClient(bool allowAutoRedirect = true, TimeSpan? timeout = null) =>
        new(PinnedHandler(allowAutoRedirect)) { BaseAddress = ManagementAddress, Timeout = timeout ?? TimeSpan.FromSeconds(30) };

    /// <summary>A handler whose TLS validation accepts the appliance's certificate by its SHA-256 fingerprint and nothing else.</summary>
    public SocketsHttpHandler PinnedHandler(bool allowAutoRedirect = true) => new()
    {
        AllowAutoRedirect = allowAutoRedirect,
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, presented, _, _) => IsPinned(presented) },
    };

    /// <summary>SHA-256 of the management certificate's DER bytes, as the appliance logs it (<c>AB:CD:…</c>).</summary>
    public string CertificateFingerprint()
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(CertificatePath));
        return Convert.ToHexString(SHA256.HashData(certificate.RawData)).Chunk(2).Select(c => new string(c)).Aggregate((a, b) => a + ":" + b);
    }

    /// <summary>Base64 SHA-256 of the certificate's public key (SPKI): what Chromium's <c>--ignore-certificate-errors-spki-list</c> pins.</summary>
    public string CertificateSpkiHash()
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(CertificatePath));
        return Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>The command-line settings of the two listeners on loopback.</summary>
    public static string[] ListenerArguments(int provisioningPort, int managementPort) =>
    [
        "--Listeners:Provisioning:Addresses:0", "127.0.0.1", "--Listeners:Provisioning:Port", provisioningPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--Listeners:Management:Addresses:0", "127.0.0.1", "--Listeners:Management:Port", managementPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ];

    private bool IsPinned(X509Certificate? presented)
    {
        if (presented is null || !File.Exists(CertificatePath))
        {
            return false;
        }

        using var expected = X509Certificate2.CreateFromPem(File.ReadAllText(CertificatePath));
        return SHA256.HashData(presented.GetRawCertData()).AsSpan().SequenceEqual(SHA256.HashData(expected.RawData));
    }

    public async Task<T> GetAsync<T>(string path) =>
        await Http.GetFromJsonAsync<T>(path, JsonDefaults.Options) ?? throw new InvalidOperationException($"GET {path} returned null.");

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"The appliance exited with code {_process.ExitCode} before it was ready.\n{Log()}");
            }

            try
            {
                using var response = await Http.GetAsync("health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"The appliance was not ready within {timeout}.\n{Log()}");
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }

    private static string ReadShared(string path, int max)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var r = new StreamReader(f);
        var text = r.ReadToEnd();
        return text.Length > max ? "…" + text[^max..] : text;
    }

    /// <summary>The appliance build next to this test run: src/BladeProvisioner.Appliance/bin/&lt;config&gt;/net10.0.</summary>
    public static string AppliancePath()
    {
        var baseDir = AppContext.BaseDirectory;
        var configuration = new DirectoryInfo(baseDir).Parent?.Name ?? "Debug";
        var path = Path.Combine(RepositoryRoot(), "src", "BladeProvisioner.Appliance", "bin", configuration, "net10.0", "BladeProvisioner.Appliance.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the appliance first (dotnet build).", path);
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BladeProvisioner.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (BladeProvisioner.sln) above " + AppContext.BaseDirectory);
    }

    public static int FreeTcpPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
