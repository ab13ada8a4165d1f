namespace BladeProvisioner.Core.Model;

/// <summary>Which firmware a donor image can boot under.</summary>
public enum BootMode
{
    Bios,
    Uefi,
    Both,
}
