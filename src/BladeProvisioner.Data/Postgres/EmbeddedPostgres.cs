using BladeProvisioner.Platform.Processes;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BladeProvisioner.Data.Postgres;

/// <summary>
/// A private PostgreSQL cluster in a directory of the appliance's: initdb on first use, started with pg_ctl,
/// listening on a Unix socket only (no TCP port to collide with or expose), trust authentication guarded by the
/// socket's 0700 permissions. If a previous appliance process was killed, its cluster is still running and is
/// reused. The test harness starts its clusters the same way.
/// </summary>
public sealed partial class EmbeddedPostgres
{
    public const string DatabaseName = "bladeprovisioner";
    private const int SocketPort = 5432;

    private readonly string _root;
    private readonly string _binDirectory;
    private readonly string? _runAsUser;
    private readonly IProcessRunner _runner;
    private readonly ILogger _logger;

    public EmbeddedPostgres(string root, string? binDirectory, string? runAsUser, IProcessRunner runner, ILogger logger)
    {
        _root = Path.GetFullPath(root);
        _binDirectory = binDirectory is { Length: > 0 } ? binDirectory : FindBinDirectory();
        _runAsUser = Environment.UserName == "root" ? runAsUser : null;
        _runner = runner;
        _logger = logger;
    }

    public string DataDirectory => Path.Combine(_root, "data");
    public string SocketDirectory => Path.Combine(_root, "run");
    public string LogFile => Path.Combine(_root, "postgres.log");

    /// <summary>Superuser connection to the appliance database over the cluster's socket.</summary>
    public string ConnectionString(string database = DatabaseName) => new NpgsqlConnectionStringBuilder
    {
        Host = SocketDirectory,
        Port = SocketPort,
        Username = "postgres",
        Database = database,
    }.ConnectionString;

    /// <summary>Newest installed server binaries (Debian: /usr/lib/postgresql/&lt;major&gt;/bin).</summary>
    public static string FindBinDirectory()
    {
        const string Base = "/usr/lib/postgresql";
        var bin = Directory.Exists(Base)
            ? Directory.GetDirectories(Base)
                .Select(d => (Dir: d, Major: int.TryParse(Path.GetFileName(d), out var m) ? m : -1))
                .Where(x => x.Major > 0 && File.Exists(Path.Combine(x.Dir, "bin", "pg_ctl")))
                .OrderByDescending(x => x.Major)
                .Select(x => Path.Combine(x.Dir, "bin"))
                .FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin. Install Debian's 'postgresql' package " +
            "or set ConnectionStrings:Appliance to an existing server.");
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_root);
        Directory.CreateDirectory(SocketDirectory);
        if (_runAsUser is not null)
        {
            // The server user must reach its directories; nobody else may.
            await RunAsync("chown", ["-R", _runAsUser, _root], cancellationToken);
            File.SetUnixFileMode(_root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            LogInitializing(_logger, DataDirectory);
            await RunAsync(
                Path.Combine(_binDirectory, "initdb"),
                ["-D", DataDirectory, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"],
                cancellationToken,
                TimeSpan.FromMinutes(2));
            await File.AppendAllTextAsync(
                Path.Combine(DataDirectory, "postgresql.conf"),
                $"""

                # BladeProvisioner embedded cluster
                listen_addresses = ''
                unix_socket_directories = '{SocketDirectory}'
                unix_socket_permissions = 0700
                max_connections = 200
                shared_buffers = 128MB
                fsync = on
                synchronous_commit = on
                """,
                cancellationToken);
        }

        if (!await IsRunningAsync(cancellationToken))
        {
            LogStarting(_logger, DataDirectory);
            // pg_ctl -w returns once the server accepts connections.
            await RunAsync(
                Path.Combine(_binDirectory, "pg_ctl"),
                ["-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "start"],
                cancellationToken,
                TimeSpan.FromSeconds(90));
        }
        else
        {
            LogReusing(_logger, DataDirectory);
        }

        await EnsureDatabaseAsync(DatabaseName, cancellationToken);
    }

    public async Task<bool> IsRunningAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            return false;
        }

        var result = await _runner.TryRunAsync(Spec(Path.Combine(_binDirectory, "pg_ctl"), ["-D", DataDirectory, "status"], TimeSpan.FromSeconds(10)), cancellationToken);
        return result.ExitCode == 0;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (await IsRunningAsync(cancellationToken))
        {
            LogStopping(_logger, DataDirectory);
            await RunAsync(Path.Combine(_binDirectory, "pg_ctl"), ["-D", DataDirectory, "-m", "fast", "-w", "stop"], cancellationToken, TimeSpan.FromSeconds(60));
        }
    }

    /// <summary>Creates a database if missing (used for the appliance database and, by the test harness, per test).</summary>
    public async Task EnsureDatabaseAsync(string name, CancellationToken cancellationToken)
    {
        await using var conn = new NpgsqlConnection(ConnectionString("postgres"));
        await conn.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", conn) { Parameters = { new() { Value = name } } };
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            var quoted = "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", conn);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private Task<ProcessResult> RunAsync(string file, IReadOnlyList<string> args, CancellationToken ct, TimeSpan? timeout = null) =>
        _runner.RunAsync(Spec(file, args, timeout ?? TimeSpan.FromSeconds(30)), ct);

    private ProcessSpec Spec(string file, IReadOnlyList<string> args, TimeSpan timeout)
    {
        if (_runAsUser is null || file == "chown")
        {
            return new ProcessSpec(file, args) { Timeout = timeout };
        }

        // runuser keeps the argument list intact (no shell) and drops root for the server tools.
        return new ProcessSpec("runuser", ["-u", _runAsUser, "--", file, .. args]) { Timeout = timeout, WorkingDirectory = "/" };
    }

    [LoggerMessage(EventId = DataEventIds.PostgresInitializing, Level = LogLevel.Information, Message = "Creating embedded PostgreSQL cluster in {Directory}")]
    private static partial void LogInitializing(ILogger logger, string directory);

    [LoggerMessage(EventId = DataEventIds.PostgresStarting, Level = LogLevel.Information, Message = "Starting embedded PostgreSQL in {Directory}")]
    private static partial void LogStarting(ILogger logger, string directory);

    [LoggerMessage(EventId = DataEventIds.PostgresReusing, Level = LogLevel.Information, Message = "Embedded PostgreSQL in {Directory} is already running; reusing it")]
    private static partial void LogReusing(ILogger logger, string directory);

    [LoggerMessage(EventId = DataEventIds.PostgresStopping, Level = LogLevel.Information, Message = "Stopping embedded PostgreSQL in {Directory}")]
    private static partial void LogStopping(ILogger logger, string directory);
}
