namespace BladeProvisioner.Core.Model;

/// <summary>The iPXE build handed to a UEFI blade over TFTP.</summary>
public enum UefiLoader
{
    /// <summary>iPXE with its own NIC drivers (<c>ipxe.efi</c>).</summary>
    IpxeEfi,
    /// <summary>iPXE over the firmware's Simple Network Protocol (<c>snponly.efi</c>); safer on unusual NICs.</summary>
    SnpOnly,
}
