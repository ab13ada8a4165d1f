namespace BladeProvisioner.Core.Model;

/// <summary>
/// "A blade with this SMBIOS UUID, or in this chassis slot, gets this image without the menu." For blades the
/// appliance has not met yet (a blade already known by its MAC carries its own <see cref="Blade.AssignedImageId"/>).
/// Exactly one key: the UUID, or chassis and slot together.
/// </summary>
public sealed class ZeroTouchRule
{
    public long Id { get; set; }
    public Guid? SmbiosUuid { get; set; }
    public string? Chassis { get; set; }
    public string? Slot { get; set; }
    public long DonorImageId { get; set; }
    public required string CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>
    /// A UUID rule's blade: the first blade it provisioned. It applies to no other blade (a slot rule applies to
    /// whatever blade sits in the slot: replacing a blade is what slots are for).
    /// </summary>
    public long? BladeId { get; set; }

    /// <summary>How the rule matches, for timelines and the console.</summary>
    public string Describe() => SmbiosUuid is { } uuid ? $"SMBIOS UUID {uuid}" : $"chassis {Chassis} slot {Slot}";
}
