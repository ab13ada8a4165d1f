namespace BladeProvisioner.Dhcp.Probing;

/// <summary>Asks the network whether an address is already in use before it is offered.</summary>
internal interface IAddressProbe
{
    bool Enabled { get; }

    /// <summary>True if something answered for <paramref name="address"/> (host order) on <paramref name="interfaceName"/>.</summary>
    ValueTask<bool> IsInUseAsync(string interfaceName, uint address, CancellationToken cancellationToken);
}
