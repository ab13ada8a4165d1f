using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Core.Configuration;

/// <summary>Settings every module shares. Section <c>Appliance</c>.</summary>
public sealed class ApplianceOptions
{
    public const string Section = "Appliance";

    /// <summary>Where the appliance keeps its state: embedded database, image store, volumes, TFTP root, keys.</summary>
    [Required]
    public string DataDirectory { get; set; } = "/var/lib/bladeprovisioner";

    /// <summary>DNS domain of the appliance; IQNs are made from it reversed (<c>bp.example.com</c> → <c>com.example.bp</c>).</summary>
    [Required]
    [RegularExpression(@"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", ErrorMessage = "Appliance:Domain must be a lower-case DNS domain such as bp.example.com.")]
    public string Domain { get; set; } = "bladeprovisioner.local";

    /// <summary>Year and month the domain was held, for IQNs (RFC 3720 §3.2.6), as <c>yyyy-MM</c>.</summary>
    [Required]
    [RegularExpression(@"^(19[7-9]\d|2\d{3})-(0[1-9]|1[0-2])$", ErrorMessage = "Appliance:NamingAuthorityDate must be yyyy-MM, e.g. 2026-11.")]
    public string NamingAuthorityDate { get; set; } = "2026-11";

    /// <summary>This node's name in a cluster of appliances sharing one database. Defaults to the host name.</summary>
    public string? NodeName { get; set; }

    /// <summary>Where Debian's <c>ipxe</c> package puts the binaries copied into the TFTP root at start.</summary>
    [Required]
    public string IpxeDirectory { get; set; } = "/usr/lib/ipxe";

    public string ResolveNodeName() => string.IsNullOrWhiteSpace(NodeName) ? Environment.MachineName : NodeName;

    public string PathUnderData(string relative) => Path.GetFullPath(Path.Combine(DataDirectory, relative));
}
