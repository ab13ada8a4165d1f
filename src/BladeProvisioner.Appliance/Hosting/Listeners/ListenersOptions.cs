namespace BladeProvisioner.Appliance.Hosting.Listeners;

/// <summary>
/// Section <c>Listeners</c>: the blades' plain-HTTP listener (<c>/boot/**</c> only) and the operators' HTTPS listener
/// (everything else). They must not share an address and port.
/// </summary>
internal sealed class ListenersOptions
{
    public const string Section = "Listeners";

    public ListenerOptions Provisioning { get; set; } = new() { Port = 8080 };

    public ManagementListenerOptions Management { get; set; } = new() { Port = 8443 };
}
