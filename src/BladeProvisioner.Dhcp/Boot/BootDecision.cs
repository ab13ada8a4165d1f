namespace BladeProvisioner.Dhcp.Boot;

/// <summary>What to put in siaddr/file and options 66/67/60 for a booting client.</summary>
internal sealed record BootDecision(string BootFile, bool IsUrl, string? VendorClassReply);
