namespace BladeProvisioner.Dhcp.Probing;

internal sealed class DisabledAddressProbe : IAddressProbe
{
    public bool Enabled => false;

    public ValueTask<bool> IsInUseAsync(string interfaceName, uint address, CancellationToken cancellationToken) => ValueTask.FromResult(false);
}
