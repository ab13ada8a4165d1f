using System.Diagnostics;
using BladeProvisioner.Platform.Processes;
using Microsoft.Extensions.Logging.Abstractions;

namespace BladeProvisioner.Platform.Tests.Processes;

/// <summary>The one way the appliance runs tgtadm, qemu-img, ipmitool and the rest, against real programs.</summary>
public sealed class ProcessRunnerTests
{
    private readonly ProcessRunner _runner = new(NullLogger<ProcessRunner>.Instance);

    private static ProcessSpec Shell(string script) => new("/bin/sh", ["-c", script]);

    [Fact]
    public async Task OutputErrorAndExitCodeComeBackSeparately()
    {
        var result = await _runner.TryRunAsync(Shell("echo out; echo err >&2; exit 3"), TestContext.Current.CancellationToken);

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("out\n", result.StandardOutput);
        Assert.Equal("err\n", result.StandardError);
    }

    [Fact]
    public async Task StandardInputReachesTheProgram()
    {
        var result = await _runner.RunAsync(new ProcessSpec("/bin/cat", []) { StandardInput = "line one\nline two\n" }, TestContext.Current.CancellationToken);

        Assert.Equal("line one\nline two\n", result.StandardOutput);
    }

    [Fact]
    public async Task AFailureNamesTheCommandWithSecretsHidden()
    {
        var spec = new ProcessSpec("/bin/sh", ["-c", "echo refused >&2; exit 7", "chap-secret-value"]) { RedactArguments = new HashSet<int> { 2 } };

        var error = await Assert.ThrowsAsync<ProcessFailedException>(() => _runner.RunAsync(spec, TestContext.Current.CancellationToken));

        Assert.Equal(7, error.ExitCode);
        Assert.False(error.TimedOut);
        Assert.Contains("/bin/sh", error.Message, StringComparison.Ordinal);
        Assert.Contains("***", error.Message, StringComparison.Ordinal);
        Assert.Contains("refused", error.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("chap-secret-value", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("chap-secret-value", error.Command, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AcceptedExitCodesAreNotFailures()
    {
        var result = await _runner.RunAsync(Shell("exit 22") with { AcceptedExitCodes = new HashSet<int> { 22 } }, TestContext.Current.CancellationToken);

        Assert.Equal(22, result.ExitCode);
    }

    [Fact]
    public async Task AMissingProgramIsATypedError()
    {
        var error = await Assert.ThrowsAsync<ProcessFailedException>(
            () => _runner.RunAsync(new ProcessSpec("/nonexistent/tgtadm", ["--help"]), TestContext.Current.CancellationToken));

        Assert.Null(error.ExitCode);
        Assert.Contains("cannot start", error.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATimeoutKillsTheWholeProcessTree()
    {
        var marker = Marker();
        var spec = Shell($"sleep {marker} & sleep {marker}; echo never") with { Timeout = TimeSpan.FromMilliseconds(500) };

        var error = await Assert.ThrowsAsync<ProcessFailedException>(() => _runner.RunAsync(spec, TestContext.Current.CancellationToken));

        Assert.True(error.TimedOut);
        Assert.Empty(await SleepersAsync(marker));
    }

    [Fact]
    public async Task CancellationKillsTheWholeProcessTreeAndSaysCancelled()
    {
        var marker = Marker();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = _runner.RunAsync(Shell($"sleep {marker} & sleep {marker}") with { Timeout = Timeout.InfiniteTimeSpan }, cancel.Token);
        await WaitUntilAsync(async () => (await SleepersAsync(marker)).Count == 2);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Empty(await SleepersAsync(marker));
    }

    [Fact]
    public async Task ADaemonKeepsOnlyTheTailOfWhatItPrintsAndEachErrorLineIsHandedOver()
    {
        var lines = new List<string>();
        // 20,000 numbered lines on each stream, about 190 KB each.
        var spec = Shell("i=0; while [ $i -lt 20000 ]; do echo \"line $i\"; echo \"line $i\" >&2; i=$((i+1)); done") with
        {
            KeepOutputTail = 1000,
            OnErrorLine = line =>
            {
                lock (lines)
                {
                    lines.Add(line);
                }
            },
        };

        var result = await _runner.RunAsync(spec, TestContext.Current.CancellationToken);

        Assert.InRange(result.StandardError.Length, 900, 1000);
        Assert.InRange(result.StandardOutput.Length, 900, 1000);
        Assert.EndsWith("line 19999\n", result.StandardError, StringComparison.Ordinal);
        Assert.EndsWith("line 19999\n", result.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(20000, lines.Count);
        Assert.Equal("line 0", lines[0]);
        Assert.Equal("line 19999", lines[^1]);
    }

    [Fact]
    public async Task WithoutATailLimitAllOutputIsKept()
    {
        var result = await _runner.RunAsync(Shell("seq 1 100000"), TestContext.Current.CancellationToken);

        Assert.Equal(100000, result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    /// <summary>A sleep duration no other process on the machine uses, so the test finds exactly its own sleepers.</summary>
    private static string Marker() => (3_000_000 + Random.Shared.Next(1_000_000)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<List<int>> SleepersAsync(string marker)
    {
        // Exited children may linger a moment as zombies of an already-killed shell; give the kill up to 10 s to land on a busy machine.
        var pids = new List<int>();
        for (var attempt = 0; attempt < 200; attempt++)
        {
            pids = [.. Directory.EnumerateDirectories("/proc")
                .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
                .Where(pid => pid > 0 && IsLiveSleeper(pid, marker))];
            if (pids.Count == 0)
            {
                return pids;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        return pids;
    }

    private static bool IsLiveSleeper(int pid, string marker)
    {
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            var state = File.ReadAllText($"/proc/{pid}/stat").Split(") ")[^1];
            return cmdline is ["sleep", var arg, ..] && arg == marker && !state.StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the program did not start in 30 s");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
