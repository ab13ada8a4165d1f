namespace BladeProvisioner.Power;

/// <param name="BootOnceFromPxe">Set the next boot (once) to PXE before restarting.</param>
/// <param name="Method">Reset or power cycle when the blade is on; a blade that is off is powered on.</param>
/// <param name="Uefi">The blade boots UEFI: ask for a UEFI PXE boot where the BMC can tell the difference.</param>
public sealed record RestartOptions(bool BootOnceFromPxe = true, RestartMethod Method = RestartMethod.Reset, bool Uefi = false)
{
    public static RestartOptions Default { get; } = new();
}
