namespace BladeProvisioner.Core.Model;

/// <summary>The firmware a blade boots with, as seen in DHCP option 93 or iPXE's <c>${platform}</c>.</summary>
public enum BootPlatform
{
    Unknown,
    Bios,
    Uefi,
}
