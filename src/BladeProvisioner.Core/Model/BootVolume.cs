namespace BladeProvisioner.Core.Model;

/// <summary>A blade's private boot LUN: a volume file exported under its own iSCSI target.</summary>
public sealed class BootVolume
{
    public long Id { get; set; }
    public long BladeId { get; set; }

    /// <summary>The donor image version this volume was cloned from.</summary>
    public long DonorImageId { get; set; }

    /// <summary>Volume file. Unique.</summary>
    public required string BackingPath { get; set; }

    public long SizeBytes { get; set; }

    /// <summary>Target name, <c>iqn.yyyy-mm.reversed.domain:blade.&lt;id&gt;</c>. Unique.</summary>
    public required string TargetIqn { get; set; }

    /// <summary>LUN 0 is tgt's controller LUN; the volume is LUN 1.</summary>
    public int Lun { get; set; } = 1;

    /// <summary>SCSI unit serial number (VPD page 0x80). Unique per clone.</summary>
    public required string ScsiSerial { get; set; }

    /// <summary>NAA-6 WWN, 32 hex digits (VPD page 0x83). Unique per clone.</summary>
    public required string Wwn { get; set; }

    public required string ChapUser { get; set; }
    public required string ChapSecretProtected { get; set; }
    public string? MutualChapUser { get; set; }
    public string? MutualChapSecretProtected { get; set; }

    /// <summary>The cloud-init NoCloud seed (a FAT image labelled CIDATA) beside the volume; null: no seed.</summary>
    public string? SeedPath { get; set; }

    /// <summary>The seed's LUN on the same target (the next after <see cref="Lun"/>).</summary>
    public int? SeedLun { get; set; }

    public string? SeedScsiSerial { get; set; }

    public string? SeedWwn { get; set; }

    /// <summary>cloud-init instance-id the seed carries: new per volume, the same for a resumed clone job.</summary>
    public string? InstanceId { get; set; }

    /// <summary>Lower-case hex SHA-256 of the phone-home token in the seed's vendor-data URL; the token itself is not kept.</summary>
    public string? PhoneHomeTokenHash { get; set; }

    public BootVolumeState State { get; set; } = BootVolumeState.Pending;
    public long? JobId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public uint RowVersion { get; set; }
}
