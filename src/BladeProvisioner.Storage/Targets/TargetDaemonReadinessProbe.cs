using BladeProvisioner.Core.Readiness;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Storage.Targets;

/// <summary>
/// Readiness of the iSCSI target after start: tgtd answers on its control port (LIO: the target module is loaded).
/// The supervisor restarts a dead tgtd and the reconciler refills it; while it does not answer blades are held.
/// </summary>
internal sealed class TargetDaemonReadinessProbe(ITargetDriver driver, IOptions<TargetsOptions> options) : IReadinessProbe
{
    public string Dependency => options.Value.Driver == TargetDriverKind.Lio ? "lio" : "tgtd";

    public async Task<string?> ProbeAsync(CancellationToken cancellationToken) =>
        await driver.IsRunningAsync(cancellationToken)
            ? null
            : options.Value.Driver == TargetDriverKind.Lio
                ? "the LIO target (configfs) is not loaded"
                : $"tgtd does not answer on control port {options.Value.ControlPort ?? 0}";
}
