using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Core.Boot;

/// <summary>Section <c>Boot</c>: where blades reach the boot endpoints.</summary>
public sealed class BootOptions
{
    public const string Section = "Boot";

    /// <summary>The HTTP port blades reach the appliance on; the default boot URLs DHCP hands out carry it.</summary>
    [Range(1, 65535)]
    public int HttpPort { get; set; } = 8080;

    /// <summary>Where the iPXE binaries served under <see cref="BootUrls.LoaderFilesPath"/> are; the appliance sets the TFTP root.</summary>
    public string? LoaderDirectory { get; set; }
}
