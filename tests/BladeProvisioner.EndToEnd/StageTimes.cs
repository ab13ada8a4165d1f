using System.Globalization;
using System.Text;

namespace BladeProvisioner.EndToEnd;

/// <summary>
/// Per-stage timings of one blade's boot, from the appliance's timeline (DHCP, TFTP, scripts, menu, clone, restart,
/// sanboot) plus what only the test sees (power-on, the key press, the OS marker on the serial console).
/// </summary>
internal sealed class StageTimes(string title, DateTimeOffset powerOn)
{
    private readonly List<(string Stage, DateTimeOffset At)> _marks = [];

    public DateTimeOffset PowerOn { get; } = powerOn;

    public void Mark(string stage, DateTimeOffset at) => _marks.Add((stage, at));

    /// <summary>Adds the first event of each kind (after <paramref name="afterId"/>) under the given stage name.</summary>
    public void FromTimeline(IReadOnlyList<TimelineEvent> events, long afterId, params (string Kind, string Stage)[] stages)
    {
        foreach (var (kind, stage) in stages)
        {
            if (events.FirstOrDefault(e => e.Id > afterId && (e.Kind == kind || (kind.EndsWith('*') && e.Kind.StartsWith(kind[..^1], StringComparison.Ordinal)))) is { } e)
            {
                Mark(stage, e.At);
            }
        }
    }

    public TimeSpan Between(string from, string to) => At(to) - At(from);

    public DateTimeOffset At(string stage) =>
        _marks.FirstOrDefault(m => m.Stage == stage) is { Stage: not null } m ? m.At : throw new InvalidOperationException($"no stage '{stage}'");

    public string Format()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Stage timings, {title} (seconds after power-on, then since the previous stage):");
        var previous = PowerOn;
        foreach (var (stage, at) in _marks.OrderBy(m => m.At))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {stage,-34} {(at - PowerOn).TotalSeconds,7:0.0} s  (+{Math.Max(0, (at - previous).TotalSeconds):0.0})");
            previous = at;
        }

        return text.ToString();
    }

    /// <summary>Writes the table, and the given lines under it, to the test output and to artifacts/e2e/timings.txt (kept for docs/performance.md).</summary>
    public void Report(string repository, params IEnumerable<string> notes)
    {
        var table = Format() + string.Concat(notes.Select(n => "  " + n + Environment.NewLine));
        TestContext.Current.TestOutputHelper?.WriteLine(table);
        var dir = Path.Combine(repository, "artifacts", "e2e");
        Directory.CreateDirectory(dir);
        File.AppendAllText(Path.Combine(dir, "timings.txt"), table + Environment.NewLine);
    }
}
