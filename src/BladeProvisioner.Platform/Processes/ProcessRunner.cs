using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace BladeProvisioner.Platform.Processes;

/// <summary>
/// The one way the appliance calls external programs: argument list, captured output, timeout with the whole
/// process tree killed, and a typed error naming the command.
/// </summary>
public sealed partial class ProcessRunner(ILogger<ProcessRunner> logger) : IProcessRunner
{
    public async Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken = default)
    {
        var result = await TryRunAsync(spec, cancellationToken);
        if (result.ExitCode != 0 && spec.AcceptedExitCodes?.Contains(result.ExitCode) != true)
        {
            throw new ProcessFailedException(spec.Display(), result.ExitCode, result.StandardError, timedOut: false);
        }

        return result;
    }

    public async Task<ProcessResult> TryRunAsync(ProcessSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var psi = new ProcessStartInfo(spec.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = spec.StandardInput is not null || spec.StandardInputPath is not null,
            UseShellExecute = false,
            WorkingDirectory = spec.WorkingDirectory ?? string.Empty,
        };
        foreach (var a in spec.Arguments)
        {
            psi.ArgumentList.Add(a);
        }

        if (spec.Environment is not null)
        {
            foreach (var (k, v) in spec.Environment)
            {
                psi.Environment[k] = v;
            }
        }

        var display = spec.Display();
        LogStarting(logger, display);
        var sw = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi };
        var stdout = new OutputBuffer(spec.KeepOutputTail);
        var stderr = new OutputBuffer(spec.KeepOutputTail);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                stdout.AppendLine(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                stderr.AppendLine(e.Data);
                spec.OnErrorLine?.Invoke(e.Data);
            }
        };

        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new ProcessFailedException(display, null, $"cannot start: {ex.Message}", timedOut: false);
        }

        if (spec.ReadStandardOutput is null)
        {
            process.BeginOutputReadLine();
        }

        process.BeginErrorReadLine();
        if (spec.StandardInput is not null)
        {
            await process.StandardInput.WriteAsync(spec.StandardInput);
            process.StandardInput.Close();
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(spec.Timeout);
        try
        {
            if (spec.ReadStandardOutput is not null)
            {
                await StreamAsync(process, spec, timeout.Token);
            }

            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }

            cancellationToken.ThrowIfCancellationRequested();
            LogTimedOut(logger, display, spec.Timeout);
            throw new ProcessFailedException(display, null, stderr.ToString(), timedOut: true);
        }

        // Drain the asynchronous readers.
        process.WaitForExit();
        sw.Stop();
        var result = new ProcessResult(process.ExitCode, stdout.ToString(), stderr.ToString(), sw.Elapsed);
        LogFinished(logger, display, result.ExitCode, sw.Elapsed.TotalMilliseconds);
        return result;
    }

    /// <summary>
    /// Feeds <see cref="ProcessSpec.StandardInputPath"/> and hands standard output to the reader at the same time (a
    /// decompressor blocks on a full pipe otherwise); once the reader is done the program is not needed any more.
    /// </summary>
    private static async Task StreamAsync(Process process, ProcessSpec spec, CancellationToken ct)
    {
        var feed = spec.StandardInputPath is null ? Task.CompletedTask : FeedAsync(process, spec.StandardInputPath, ct);
        await spec.ReadStandardOutput!(process.StandardOutput.BaseStream, ct);
        if (!process.HasExited)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }
        }

        try
        {
            await feed;
        }
        catch (IOException)
        {
            // The program stopped reading (killed, or it failed on bad input): its exit code tells.
        }
    }

    private static async Task FeedAsync(Process process, string path, CancellationToken ct)
    {
        var input = process.StandardInput.BaseStream;
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            await file.CopyToAsync(input, ct);
        }
        finally
        {
            try
            {
                input.Close();
            }
            catch (IOException)
            {
                // Broken pipe: the program is gone.
            }
        }
    }

    [LoggerMessage(EventId = PlatformEventIds.ProcessStarting, Level = LogLevel.Debug, Message = "Running {Command}")]
    private static partial void LogStarting(ILogger logger, string command);

    [LoggerMessage(EventId = PlatformEventIds.ProcessFinished, Level = LogLevel.Debug, Message = "{Command} exited {ExitCode} after {ElapsedMs:F0} ms")]
    private static partial void LogFinished(ILogger logger, string command, int exitCode, double elapsedMs);

    [LoggerMessage(EventId = PlatformEventIds.ProcessTimedOut, Level = LogLevel.Warning, Message = "{Command} timed out after {Timeout}")]
    private static partial void LogTimedOut(ILogger logger, string command, TimeSpan timeout);
}
