namespace BladeProvisioner.Storage.Targets.Reconciler;

/// <summary>Asks for a reconcile pass now (e.g. tgtd was restarted and came back empty).</summary>
internal sealed class ReconcileTrigger
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Request()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already requested.
        }
    }

    /// <summary>Completes on a request or after <paramref name="interval"/>.</summary>
    public Task WaitAsync(TimeSpan interval, CancellationToken ct) => _signal.WaitAsync(interval, ct);
}
