namespace BladeProvisioner.Core.Model;

/// <summary>How the appliance restarts a blade.</summary>
public enum PowerDriverKind
{
    /// <summary>The boot script ends with iPXE <c>reboot</c>.</summary>
    InBand,
    Ipmi,
    Redfish,
}
