using BladeProvisioner.Platform.Processes;

namespace BladeProvisioner.Storage.Tests.Targets;

/// <summary>Records every call; answers from a function of the argument list (empty success by default).</summary>
internal sealed class RecordingRunner(Func<ProcessSpec, ProcessResult?>? answer = null) : IProcessRunner
{
    private readonly Lock _lock = new();

    private readonly List<string> _journal = [];

    public List<ProcessSpec> Calls { get; } = [];

    /// <summary>
    /// Each call as one string, programs and arguments joined by spaces, secrets included, in order with what
    /// <see cref="Note"/> added (a fake tgtd socket's requests).
    /// </summary>
    public List<string> Lines
    {
        get
        {
            lock (_lock)
            {
                return [.. _journal];
            }
        }
    }

    public void Note(string line)
    {
        lock (_lock)
        {
            _journal.Add(line);
        }
    }

    public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken = default)
    {
        var r = Answer(spec);
        if (r.ExitCode != 0 && spec.AcceptedExitCodes?.Contains(r.ExitCode) != true)
        {
            throw new ProcessFailedException(spec.Display(), r.ExitCode, r.StandardError, timedOut: false);
        }

        return Task.FromResult(r);
    }

    public Task<ProcessResult> TryRunAsync(ProcessSpec spec, CancellationToken cancellationToken = default) => Task.FromResult(Answer(spec));

    private ProcessResult Answer(ProcessSpec spec)
    {
        lock (_lock)
        {
            Calls.Add(spec);
            _journal.Add(string.Join(' ', [spec.FileName, .. spec.Arguments]));
        }

        return answer?.Invoke(spec) ?? new ProcessResult(0, string.Empty, string.Empty, TimeSpan.Zero);
    }

    public static ProcessResult Output(string stdout) => new(0, stdout, string.Empty, TimeSpan.Zero);
}
