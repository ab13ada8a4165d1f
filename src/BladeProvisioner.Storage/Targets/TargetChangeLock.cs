namespace BladeProvisioner.Storage.Targets;

/// <summary>
/// Serialises, on this node, every change that must see the database and the live targets agree: a reconcile pass
/// (read the desired targets, then ensure or remove) and a job's export or removal (change the volume's state, then
/// the target). Without it a pass that read the volumes before a decommission could put the removed target back
/// after it, or remove a target an export had just made before its row said Exported.
/// </summary>
public sealed class TargetChangeLock
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Waits for the lock; disposing the result releases it.</summary>
    public async Task<IDisposable> AcquireAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        return new Releaser(_gate);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
