namespace BladeProvisioner.Dhcp.Boot;

/// <summary>What to put in siaddr/file and options 66/67/60 for a booting client.</summary>
internal sealed record BootDecision(string BootFile, bool IsUrl, string? VendorClassReply)
{
    /// <summary>
    /// The boot ticket that rides on this answer's URL (iPXE clients only). Kept apart from <see cref="BootFile"/>
    /// so logs and the timeline, which show the boot file, never show a ticket.
    /// </summary>
    public string? Ticket { get; init; }
}
