namespace BladeProvisioner.Core.Readiness;

/// <summary>
/// The readiness gate: services that answer blades (DHCP, TFTP, boot scripts) answer only while the appliance is
/// ready. Two things make it so. Start-up preconditions are named gates (the database migrated, target state
/// restored) that open once and stay open. Dependencies a running appliance can lose (the database, tgtd) are watched
/// by a readiness monitor, which marks one <see cref="MarkDown">down</see> after repeated failed probes and
/// <see cref="MarkUp">up</see> again after a good one. Ready = every gate open and no dependency down.
/// </summary>
public sealed class ApplianceReadiness
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, bool> _gates = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ReadinessFault> _down = new(StringComparer.Ordinal);
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _wasReady;

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

    /// <summary>Raised after every change of <see cref="IsReady"/> (outside the lock), with the new value.</summary>
    public event Action<ReadinessChange>? Changed;

    public bool IsReady => _ready.Task.IsCompletedSuccessfully;

    /// <summary>True once every start-up gate has opened, whether or not a dependency is down now.</summary>
    public bool HasStarted
    {
        get
        {
            lock (_lock)
            {
                return _gates.Count > 0 && _gates.Values.All(v => v);
            }
        }
    }

    /// <summary>Gates still closed and dependencies down, for the readiness endpoint.</summary>
    public IReadOnlyList<string> Pending
    {
        get
        {
            lock (_lock)
            {
                return [.. _gates.Where(g => !g.Value).Select(g => g.Key).Union(_down.Keys).Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Dependencies that are down now, with why and since when.</summary>
    public IReadOnlyList<ReadinessFault> Faults
    {
        get
        {
            lock (_lock)
            {
                return [.. _down.Values.OrderBy(f => f.Dependency, StringComparer.Ordinal)];
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
        ReadinessChange? change;
        lock (_lock)
        {
            _gates[gate] = true;
            change = Update(gate, reason: null);
        }

        Raise(change);
    }

    /// <summary>A dependency stopped answering: the appliance is not ready until <see cref="MarkUp"/>.</summary>
    public void MarkDown(string dependency, string reason, DateTimeOffset since)
    {
        ReadinessChange? change;
        lock (_lock)
        {
            if (_down.ContainsKey(dependency))
            {
                return;
            }

            _down[dependency] = new ReadinessFault(dependency, reason, since);
            change = Update(dependency, reason);
        }

        Raise(change);
    }

    /// <summary>A dependency answers again; the appliance is ready when nothing else holds it.</summary>
    public void MarkUp(string dependency)
    {
        ReadinessChange? change;
        lock (_lock)
        {
            if (!_down.Remove(dependency))
            {
                return;
            }

            change = Update(dependency, reason: null);
        }

        Raise(change);
    }

    /// <summary>Completes when the appliance is ready now: at once if it is, else at the next opening.</summary>
    public Task WaitAsync(CancellationToken cancellationToken)
    {
        ReadinessChange? change;
        Task ready;
        lock (_lock)
        {
            change = Update("(wait)", reason: null);
            ready = _ready.Task;
        }

        Raise(change);
        return ready.WaitAsync(cancellationToken);
    }

    /// <summary>Brings the task in line with the state; returns the transition to announce, if any. Under the lock.</summary>
    private ReadinessChange? Update(string cause, string? reason)
    {
        bool ready = _gates.Count > 0 && _gates.Values.All(v => v) && _down.Count == 0;
        if (ready && !_ready.Task.IsCompleted)
        {
            _ready.TrySetResult();
            var reopened = _wasReady;
            _wasReady = true;
            return new ReadinessChange(true, cause, null, reopened);
        }

        if (!ready && _ready.Task.IsCompleted)
        {
            _ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return new ReadinessChange(false, cause, reason, true);
        }

        return null;
    }

    private void Raise(ReadinessChange? change)
    {
        if (change is not null)
        {
            Changed?.Invoke(change);
        }
    }
}
