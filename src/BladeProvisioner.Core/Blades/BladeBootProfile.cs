using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Core.Blades;

/// <summary>What the DHCP and TFTP services need to know about a blade to answer it.</summary>
public sealed record BladeBootProfile(long BladeId, string Mac, BladeState State, string? Hostname, UefiLoader UefiLoader, bool IsNew);
