using System.Diagnostics;
using System.Globalization;

namespace BladeProvisioner.Appliance.Tests.DataPlane;

/// <summary>
/// What systemd does with the shipped units, where systemd itself does not run: each unit's processes in a cgroup of
/// its own (cgroup v2), a unit's ExecStart and Environment= read from its file, and a stop as KillMode=control-group
/// does it: KillSignal to the main process, at most TimeoutStopSec to exit, then SIGKILL to every process left in the
/// unit's cgroup (whatever session or process group it made for itself).
/// </summary>
internal sealed class UnitSupervisor : IDisposable
{
    private const string Root = "/sys/fs/cgroup/unified";
    private readonly List<string> _groups = [];

    public static bool Available => File.Exists(Path.Combine(Root, "cgroup.procs"));

    /// <summary>Reads <c>Key=Value</c> lines of a unit file's [Service] section (repeated keys in order).</summary>
    public static List<(string Key, string Value)> ServiceSettings(string unitFile)
    {
        var settings = new List<(string, string)>();
        bool inService = false;
        foreach (var raw in File.ReadAllLines(unitFile))
        {
            var line = raw.Trim();
            if (line.StartsWith('['))
            {
                inService = line == "[Service]";
            }
            else if (inService && line.Length > 0 && line[0] != '#' && line.IndexOf('=', StringComparison.Ordinal) is > 0 and var eq)
            {
                settings.Add((line[..eq], line[(eq + 1)..]));
            }
        }

        return settings;
    }

    /// <summary>The unit's Environment= assignments, as NAME=value.</summary>
    public static Dictionary<string, string> Environment(string unitFile) =>
        ServiceSettings(unitFile).Where(s => s.Key == "Environment").Select(s => s.Value.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    /// <summary>Makes the cgroup of a unit (named bpdp-… for this test run).</summary>
    public string Group(string unit)
    {
        var path = Path.Combine(Root, $"bpdp-{unit}-{System.Environment.ProcessId}");
        Directory.CreateDirectory(path);
        _groups.Add(path);
        return path;
    }

    public static void Move(string group, int pid) =>
        File.WriteAllText(Path.Combine(group, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));

    public static List<int> Processes(string group) =>
        [.. File.ReadAllLines(Path.Combine(group, "cgroup.procs")).Where(l => l.Length > 0).Select(l => int.Parse(l, CultureInfo.InvariantCulture))];

    /// <summary>Starts a unit's ExecStart (variables expanded from <paramref name="environment"/>) inside its cgroup.</summary>
    public static Process Start(string group, string execStart, IReadOnlyDictionary<string, string> environment)
    {
        var p = Launch(Expand(execStart, environment));
        Move(group, p.Id);
        return p;
    }

    /// <summary>Runs one ExecStop= line to its end, as systemd does in order; returns its exit code.</summary>
    public static async Task<int> RunAsync(string command, IReadOnlyDictionary<string, string> environment)
    {
        using var p = Launch(Expand(command, environment));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(cts.Token);
        return p.ExitCode;
    }

    /// <summary>systemd's expansion: <c>${VAR}</c> inside a word, and an unquoted <c>$VAR</c> alone splits into words.</summary>
    private static List<string> Expand(string command, IReadOnlyDictionary<string, string> environment)
    {
        var words = new List<string>();
        foreach (var word in command.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var expanded = environment.Aggregate(word, (w, kv) => w.Replace("${" + kv.Key + "}", kv.Value, StringComparison.Ordinal));
            if (expanded.StartsWith('$') && environment.TryGetValue(expanded[1..], out var value))
            {
                words.AddRange(value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
            else
            {
                words.Add(expanded);
            }
        }

        return words;
    }

    private static Process Launch(List<string> words)
    {
        var psi = new ProcessStartInfo(words[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var w in words.Skip(1))
        {
            psi.ArgumentList.Add(w);
        }

        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>The control-group kill that ends a stop: SIGKILL to everything still in the unit's cgroup.</summary>
    public static async Task KillRemainingAsync(string group)
    {
        foreach (var pid in Processes(group))
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                p.Kill();
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }

        for (int i = 0; i < 100 && Processes(group).Count > 0; i++)
        {
            await Task.Delay(50);
        }
    }

    public void Dispose()
    {
        foreach (var group in _groups)
        {
            // A process killed a moment ago may not have left the cgroup yet.
            for (int i = 0; i < 40 && Directory.Exists(group); i++)
            {
                try
                {
                    Directory.Delete(group);
                }
                catch (IOException)
                {
                    Thread.Sleep(50);
                }
            }
        }
    }
}
