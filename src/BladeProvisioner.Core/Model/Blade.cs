namespace BladeProvisioner.Core.Model;

/// <summary>
/// A blade server known to the appliance. One linked record: boot NIC → initiator IQN → boot volume
/// (target IQN/LUN, volume file) → donor image version.
/// </summary>
public sealed class Blade : ICloudInitSettings
{
    public long Id { get; set; }

    /// <summary>Boot NIC MAC, lower-case colon form (<c>52:54:00:12:34:56</c>). Unique.</summary>
    public required string BootMac { get; set; }

    public Guid? SmbiosUuid { get; set; }
    public string? Serial { get; set; }
    public string? Manufacturer { get; set; }
    public string? Product { get; set; }
    public BootPlatform Platform { get; set; }

    /// <summary>DHCP option 93 client architecture last seen (0 BIOS, 7/9 x86-64 UEFI, 16 UEFI HTTP).</summary>
    public int? ClientArchitecture { get; set; }

    public string? Chassis { get; set; }
    public string? Slot { get; set; }

    /// <summary>Where chassis/slot came from: "relay" (option 82), "api", or "ipmi".</summary>
    public string? LocationSource { get; set; }

    public string? Hostname { get; set; }

    /// <summary>iSCSI initiator name this blade logs in with. Unique.</summary>
    public string? InitiatorIqn { get; set; }

    public BladeState State { get; set; } = BladeState.Discovered;
    public DateTimeOffset StateChangedAt { get; set; }

    /// <summary>Zero-touch: an image (version) pre-assigned to this blade; the menu is skipped.</summary>
    public long? AssignedImageId { get; set; }

    public UefiLoader UefiLoader { get; set; } = UefiLoader.IpxeEfi;

    public PowerDriverKind PowerDriver { get; set; } = PowerDriverKind.InBand;
    public string? BmcAddress { get; set; }
    public string? BmcUsername { get; set; }

    /// <summary>BMC password, protected by <see cref="Security.ISecretProtector"/>; never plain text at rest.</summary>
    public string? BmcSecretProtected { get; set; }

    /// <summary>
    /// Mutual CHAP for this blade's next volume: null follows <c>Storage:Volumes:MutualChap</c> (on by default); false for
    /// an initiator that cannot authenticate the target.
    /// </summary>
    public bool? MutualChap { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }

    /// <summary>
    /// When an admin or operator first acted on the blade through the API (registered, edited, provisioned,
    /// decommissioned). Null: only boot traffic has met it, and while Discovered it counts against
    /// <c>Enrolment:MaxUnclaimedBlades</c>.
    /// </summary>
    public DateTimeOffset? ClaimedAt { get; set; }

    /// <summary>Optimistic concurrency token (PostgreSQL xmin).</summary>
    /// <summary>SSH authorised keys for this blade's cloud-init, besides its image's; null: none.</summary>
    public string? CloudInitSshKeys { get; set; }

    /// <summary>This blade's user-data (a later MIME part than its image's), protected like <see cref="BmcSecretProtected"/>.</summary>
    public string? CloudInitUserDataProtected { get; set; }

    public string? CloudInitUserDataSha256 { get; set; }

    public int? CloudInitUserDataBytes { get; set; }

    /// <summary>The boot API base URL this blade last reached (its iPXE scripts' base): where its OS phones home.</summary>
    public string? BootBaseUrl { get; set; }

    public uint RowVersion { get; set; }
}
