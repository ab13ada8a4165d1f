using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Power;

/// <summary>One way of restarting a blade: in-band (iPXE <c>reboot</c>), IPMI over LAN, or Redfish.</summary>
public interface IPowerDriver
{
    PowerDriverKind Kind { get; }

    /// <summary>Sets the next boot to PXE (when asked) and restarts the blade; powers it on if it is off.</summary>
    /// <exception cref="PowerException">The BMC could not be reached, refused the credentials, or rejected a command.</exception>
    Task<PowerResult> RestartAsync(PowerTarget target, RestartOptions options, CancellationToken cancellationToken);

    /// <exception cref="PowerException">As for <see cref="RestartAsync"/>.</exception>
    Task<PowerStatus> GetStatusAsync(PowerTarget target, CancellationToken cancellationToken);

    /// <summary>
    /// Asks the BMC to power the blade off at once (a hard off: its disk is about to go away); nothing when it is off
    /// already. Returns when the command was accepted; <see cref="PowerControl.PowerOffAsync"/> waits for the state.
    /// </summary>
    /// <exception cref="PowerException">As for <see cref="RestartAsync"/>; <see cref="PowerErrorCodes.Unsupported"/> when the driver cannot.</exception>
    Task<PowerResult> PowerOffAsync(PowerTarget target, CancellationToken cancellationToken) =>
        throw new PowerException(PowerErrorCodes.Unsupported, $"The {Kind} power driver cannot power a blade off.");
}
