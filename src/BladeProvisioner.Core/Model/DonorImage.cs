namespace BladeProvisioner.Core.Model;

/// <summary>One immutable version of a donor image: a raw sparse file with its SHA-256.</summary>
public sealed class DonorImage : ICloudInitSettings
{
    public long Id { get; set; }

    /// <summary>Name shared by all versions of one image, e.g. <c>debian-12</c>.</summary>
    public required string Name { get; set; }

    /// <summary>1, 2, 3 … within <see cref="Name"/>. (Name, Version) is unique.</summary>
    public int Version { get; set; }

    public required string OperatingSystem { get; set; }
    public BootMode BootMode { get; set; }
    public ImageFormat SourceFormat { get; set; }
    public DonorImageState State { get; set; } = DonorImageState.Importing;

    /// <summary>Raw file in the image store. Unique.</summary>
    public string? Path { get; set; }

    public long VirtualSize { get; set; }
    public long AllocatedSize { get; set; }

    /// <summary>Lower-case hex SHA-256 of the raw image, set when the import finishes.</summary>
    public string? Sha256 { get; set; }

    /// <summary>JSON array of preflight findings ({level, check, message}); null until the import ran them.</summary>
    public string? Preflight { get; set; }

    public string? Notes { get; set; }

    /// <summary>What each clone gets inside its OS; changeable on an existing version (it applies to later clones).</summary>
    public OsPersonalization OsPersonalization { get; set; } = OsPersonalization.Identity;

    /// <summary>Whether each clone gets new disk and partition ids; changeable like <see cref="OsPersonalization"/>.</summary>
    public DiskIdentifierPolicy DiskIdentifiers { get; set; } = DiskIdentifierPolicy.Auto;

    /// <summary>Whether clones get a cloud-init seed; changeable like <see cref="OsPersonalization"/>.</summary>
    public CloudInitPolicy CloudInit { get; set; } = CloudInitPolicy.Auto;

    /// <summary>SSH authorised keys (one OpenSSH public key a line) every clone's cloud-init installs; null: none.</summary>
    public string? CloudInitSshKeys { get; set; }

    /// <summary>User-data for every clone, protected by <see cref="Security.ISecretProtector"/>; never plain text at rest.</summary>
    public string? CloudInitUserDataProtected { get; set; }

    /// <summary>Lower-case hex SHA-256 of the plain user-data (shown instead of it).</summary>
    public string? CloudInitUserDataSha256 { get; set; }

    public int? CloudInitUserDataBytes { get; set; }
    public string? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public uint RowVersion { get; set; }

    /// <summary>Can a blade booting under <paramref name="platform"/> use this image?</summary>
    public bool Supports(BootPlatform platform) => platform switch
    {
        BootPlatform.Bios => BootMode is BootMode.Bios or BootMode.Both,
        BootPlatform.Uefi => BootMode is BootMode.Uefi or BootMode.Both,
        _ => true,
    };

    public string DisplayName => $"{Name} v{Version}";
}
