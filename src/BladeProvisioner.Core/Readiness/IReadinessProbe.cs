namespace BladeProvisioner.Core.Readiness;

/// <summary>
/// A dependency a running appliance can lose, probed every few seconds by the readiness monitor (register one per
/// dependency: <c>services.AddSingleton&lt;IReadinessProbe, DatabaseProbe&gt;()</c>). A probe is cheap and bounded: it
/// throws (or returns a reason) when the dependency does not answer within the monitor's timeout.
/// </summary>
public interface IReadinessProbe
{
    /// <summary>The dependency's name, as <c>/health/ready</c> shows it ("database", "tgtd").</summary>
    string Dependency { get; }

    /// <summary>Null when the dependency answered; else why not. Exceptions count as failures too.</summary>
    Task<string?> ProbeAsync(CancellationToken cancellationToken);
}
