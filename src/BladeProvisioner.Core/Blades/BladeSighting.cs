using System.Net;
using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Core.Blades;

/// <summary>What a protocol module learned about a blade: from DHCP (MAC, UUID, arch, option 82) or iPXE (SMBIOS).</summary>
public sealed record BladeSighting(string Mac)
{
    public Guid? SmbiosUuid { get; init; }
    public int? ClientArchitecture { get; init; }
    public BootPlatform Platform { get; init; }
    public string? Serial { get; init; }
    public string? Manufacturer { get; init; }
    public string? Product { get; init; }

    /// <summary>Relay agent option 82 sub-options, recorded as the blade's chassis/slot source.</summary>
    public string? RelayCircuitId { get; init; }
    public string? RelayRemoteId { get; init; }
    public IPAddress? Address { get; init; }

    /// <summary>"dhcp" or "boot".</summary>
    public string Source { get; init; } = "dhcp";
}
