namespace BladeProvisioner.Platform.Processes;

/// <summary>An external program exited non-zero or timed out. Names the command; stderr is kept for diagnosis.</summary>
public sealed class ProcessFailedException : Exception
{
    public ProcessFailedException(string command, int? exitCode, string standardError, bool timedOut)
        : base(Describe(command, exitCode, standardError, timedOut))
    {
        Command = command;
        ExitCode = exitCode;
        StandardError = standardError;
        TimedOut = timedOut;
    }

    public ProcessFailedException()
        : this("(unknown)", null, string.Empty, false)
    {
    }

    public ProcessFailedException(string message)
        : base(message)
    {
        Command = "(unknown)";
        StandardError = string.Empty;
    }

    public ProcessFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Command = "(unknown)";
        StandardError = string.Empty;
    }

    public string Command { get; }
    public int? ExitCode { get; }
    public string StandardError { get; }
    public bool TimedOut { get; }

    private static string Describe(string command, int? exitCode, string stderr, bool timedOut)
    {
        var tail = stderr.Trim();
        if (tail.Length > 500)
        {
            tail = "…" + tail[^500..];
        }

        return timedOut
            ? $"'{command}' timed out. {tail}".TrimEnd()
            : $"'{command}' exited with code {exitCode}. {tail}".TrimEnd();
    }
}
