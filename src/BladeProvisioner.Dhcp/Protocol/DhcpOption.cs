namespace BladeProvisioner.Dhcp.Protocol;

/// <summary>One option after RFC 3396 concatenation of repeated codes.</summary>
internal readonly record struct DhcpOption(byte Code, ReadOnlyMemory<byte> Value);
