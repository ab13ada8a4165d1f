using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Core.Blades;

/// <summary>What the DHCP and TFTP services need to know about a blade to answer it.</summary>
public sealed record BladeBootProfile(long BladeId, string Mac, BladeState State, string? Hostname, UefiLoader UefiLoader, bool IsNew)
{
    /// <summary>SMBIOS product name once iPXE has reported it; DHCP applies per-product UEFI loader overrides by it.</summary>
    public string? Product { get; init; }
}
