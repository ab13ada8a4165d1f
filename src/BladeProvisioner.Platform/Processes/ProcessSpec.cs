namespace BladeProvisioner.Platform.Processes;

/// <summary>
/// One external program call. Arguments are a list, never a shell string. <see cref="RedactArguments"/> hides
/// argument values (secrets) from logs and exception messages.
/// </summary>
public sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments)
{
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
    public string? WorkingDirectory { get; init; }
    public IReadOnlyDictionary<string, string>? Environment { get; init; }
    public string? StandardInput { get; init; }

    /// <summary>A file copied byte for byte to the program's standard input (binary data, e.g. for a decompressor).</summary>
    public string? StandardInputPath { get; init; }

    /// <summary>
    /// Reads the program's standard output as raw bytes instead of capturing it as text. When it returns before the
    /// program has exited (it has read all it wants), the program is killed; the result's output text is then empty.
    /// </summary>
    public Func<Stream, CancellationToken, Task>? ReadStandardOutput { get; init; }

    /// <summary>Indexes into <see cref="Arguments"/> whose values must never be logged.</summary>
    public IReadOnlySet<int>? RedactArguments { get; init; }

    /// <summary>Exit codes that are not failures (besides 0).</summary>
    public IReadOnlySet<int>? AcceptedExitCodes { get; init; }

    /// <summary>
    /// For long-running programs (daemons): keep only about this many of the last characters of each stream, so a
    /// process that runs for months does not hold all it ever printed. Null keeps everything (output that is parsed).
    /// </summary>
    public int? KeepOutputTail { get; init; }

    /// <summary>Called with each line the program writes to standard error, as it arrives (for example to log it).</summary>
    public Action<string>? OnErrorLine { get; init; }

    /// <summary>The command line for logs and errors, with redacted arguments replaced by ***.</summary>
    public string Display()
    {
        var parts = new List<string>(Arguments.Count + 1) { FileName };
        for (int i = 0; i < Arguments.Count; i++)
        {
            var a = RedactArguments?.Contains(i) == true ? "***" : Arguments[i];
            parts.Add(a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a);
        }

        return string.Join(' ', parts);
    }
}
