using BladeProvisioner.Platform.Processes;

namespace BladeProvisioner.Power.Tests.Ipmi;

/// <summary>Passes calls to a real or scripted runner and keeps every <see cref="ProcessSpec"/> for inspection.</summary>
internal sealed class RecordingRunner(Func<ProcessSpec, CancellationToken, Task<ProcessResult>> run) : IProcessRunner
{
    public List<ProcessSpec> Calls { get; } = [];

    public static RecordingRunner Real() =>
        new((spec, ct) => new ProcessRunner(Microsoft.Extensions.Logging.Abstractions.NullLogger<ProcessRunner>.Instance).TryRunAsync(spec, ct));

    /// <summary>Answers by the command's tail ("power status", "chassis bootdev pxe", ...).</summary>
    public static RecordingRunner Scripted(Func<string, ProcessResult> answer) =>
        new((spec, _) =>
        {
            var tail = string.Join(' ', spec.Arguments.SkipWhile(a => a != "-v").Skip(1));
            return Task.FromResult(answer(tail));
        });

    public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The IPMI driver classifies exit codes itself (TryRunAsync).");

    public async Task<ProcessResult> TryRunAsync(ProcessSpec spec, CancellationToken cancellationToken = default)
    {
        Calls.Add(spec);
        return await run(spec, cancellationToken);
    }
}
