using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Power.InBand;

/// <summary>
/// No BMC: the blade restarts itself because the boot script it is running ends with iPXE <c>reboot</c>. Nothing
/// to do here but say so; the boot endpoints render that script.
/// </summary>
internal sealed class InBandDriver : IPowerDriver
{
    public PowerDriverKind Kind => PowerDriverKind.InBand;

    public Task<PowerResult> RestartAsync(PowerTarget target, RestartOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Task.FromResult(new PowerResult(
            PowerDriverKind.InBand,
            "in-band",
            BootOverrideSet: false,
            "In-band: the boot script ends with iPXE 'reboot'; the blade restarts itself and PXE-boots again."));
    }

    public Task<PowerStatus> GetStatusAsync(PowerTarget target, CancellationToken cancellationToken) =>
        Task.FromResult(new PowerStatus(PowerState.Unknown));
}
