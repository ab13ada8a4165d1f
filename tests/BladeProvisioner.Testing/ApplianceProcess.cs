using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;

namespace BladeProvisioner.Testing;

/// <summary>
/// The appliance as a real process (the built BladeProvisioner.Appliance.dll under dotnet), for tests that kill it,
/// restart it, or run two nodes on one database. Output goes to a log file that failing tests print.
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
        BaseAddress = new Uri($"http://127.0.0.1:{Port}/");
        var args = new List<string> { AppliancePath(), "--urls", BaseAddress.ToString().TrimEnd('/'), "--Appliance:DataDirectory", dataDirectory };
        if (connectionString is not null)
        {
            args.AddRange(["--ConnectionStrings:Appliance", connectionString]);
        }

        args.AddRange(_tgt.Arguments);
        args.AddRange(["--Auth:BootstrapApiToken", ApiToken]);
        args.AddRange(extraArguments);
        _arguments = args;
        _logPath = Path.Combine(dataDirectory, "appliance-test.log");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiToken);
    }

    /// <summary>An admin API token made for this process (<c>Auth:BootstrapApiToken</c>); <see cref="Http"/> sends it.</summary>
    public string ApiToken { get; } = "bp-test-" + Guid.NewGuid().ToString("N");

    public string DataDirectory { get; }

    /// <summary>The appliance's own tgtd (control port, portal port on 127.0.0.1).</summary>
    public TgtInstance Tgt => _tgt;
    public int Port { get; }
    public Uri BaseAddress { get; }
    public HttpClient Http { get; }
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

    public string Log() => File.Exists(_logPath) ? ReadShared(_logPath) : "(no log)";

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        Http.Dispose();
        _tgt.Dispose();
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

    private static string ReadShared(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var r = new StreamReader(f);
        var text = r.ReadToEnd();
        return text.Length > 20_000 ? "…" + text[^20_000..] : text;
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
