namespace BladeProvisioner.Core.Readiness;

/// <summary>
/// The readiness gate: services that answer blades (DHCP, TFTP, boot scripts) wait here until the database is
/// migrated and storage/target state is restored. Each precondition is a named gate; the appliance is ready
/// when every registered gate has opened.
/// </summary>
public sealed class ApplianceReadiness
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, bool> _gates = new(StringComparer.Ordinal);
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ApplianceReadiness()
    {
    }

    /// <summary>The gates the modules declared at composition (see <see cref="ReadinessGate"/>).</summary>
    public ApplianceReadiness(IEnumerable<ReadinessGate> gates)
    {
        ArgumentNullException.ThrowIfNull(gates);
        foreach (var gate in gates)
        {
            Register(gate.Name);
        }
    }

    public bool IsReady => _ready.Task.IsCompletedSuccessfully;

    /// <summary>Gates still closed, for the readiness endpoint.</summary>
    public IReadOnlyList<string> Pending
    {
        get
        {
            lock (_lock)
            {
                return [.. _gates.Where(g => !g.Value).Select(g => g.Key).Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Declares a precondition. Call during start-up composition, before anything opens.</summary>
    public void Register(string gate)
    {
        lock (_lock)
        {
            _gates.TryAdd(gate, false);
            if (_ready.Task.IsCompleted)
            {
                _ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public void Open(string gate)
    {
        lock (_lock)
        {
            _gates[gate] = true;
            if (_gates.Values.All(v => v))
            {
                _ready.TrySetResult();
            }
        }
    }

    public Task WaitAsync(CancellationToken cancellationToken)
    {
        Task ready;
        lock (_lock)
        {
            if (_gates.Count > 0 && _gates.Values.All(v => v))
            {
                _ready.TrySetResult();
            }

            ready = _ready.Task;
        }

        return ready.WaitAsync(cancellationToken);
    }
}
