using System.Collections.Concurrent;

namespace BladeProvisioner.Jobs.Tests;

/// <summary>
/// A job kind for tests: steps through <c>steps</c> units, checkpointing each, optionally failing at one step or
/// blocking until released. Records what happened so tests can assert on it.
/// </summary>
internal sealed class ProbeHandler : IJobHandler
{
    public const string ProbeKind = "test.probe";
    private int _running;

    public string Kind => ProbeKind;

    public int MaxConcurrent { get; private set; }
    public ConcurrentQueue<(long JobId, int Attempt, int ResumedAt)> Runs { get; } = new();
    public ConcurrentBag<long> CleanedUp { get; } = [];
    public SemaphoreSlim Gate { get; } = new(0);
    public bool Block { get; set; }
    public int FailAtStep { get; set; } = -1;

    public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var n = Interlocked.Increment(ref _running);
        lock (Runs)
        {
            MaxConcurrent = Math.Max(MaxConcurrent, n);
        }

        try
        {
            var p = context.Parameters<ProbeParameters>();
            var start = context.Checkpoint<ProbeCheckpoint>()?.Step ?? 0;
            Runs.Enqueue((context.JobId, context.Attempt, start));
            for (int step = start; step < p.Steps; step++)
            {
                if (Block)
                {
                    await Gate.WaitAsync(cancellationToken);
                }
                else
                {
                    await Task.Delay(20, cancellationToken);
                }

                if (step == FailAtStep && context.Attempt == 1)
                {
                    throw new InvalidOperationException($"probe failure at step {step}");
                }

                await context.ReportAsync(step + 1, p.Steps, new ProbeCheckpoint(step + 1), cancellationToken);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    public Task CleanupAsync(JobContext context, CancellationToken cancellationToken)
    {
        CleanedUp.Add(context.JobId);
        return Task.CompletedTask;
    }
}

internal sealed record ProbeParameters(int Steps);

internal sealed record ProbeCheckpoint(int Step);
