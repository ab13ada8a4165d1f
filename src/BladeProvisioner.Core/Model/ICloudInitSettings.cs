namespace BladeProvisioner.Core.Model;

/// <summary>
/// cloud-init settings an image and a blade each carry (both apply to a clone: the image's keys and user-data part
/// first, the blade's after them). User-data is kept protected; only its size and SHA-256 are ever shown.
/// </summary>
public interface ICloudInitSettings
{
    /// <summary>SSH authorised keys, one OpenSSH public key per line; null: none.</summary>
    string? CloudInitSshKeys { get; set; }

    string? CloudInitUserDataProtected { get; set; }

    string? CloudInitUserDataSha256 { get; set; }

    int? CloudInitUserDataBytes { get; set; }
}
