using System.Security.Cryptography;
using System.Text;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Security;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Data;
using BladeProvisioner.Platform.Processes;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Storage.CloudInit;

/// <summary>An image's cloud-init settings change: null leaves a field as it is; an empty userData removes it.</summary>
public sealed record CloudInitChange(CloudInitPolicy? Mode, IReadOnlyList<string>? SshAuthorizedKeys, string? UserData);

/// <summary>
/// Validates and stores an image's cloud-init settings: every SSH key must be one OpenSSH public key line that
/// <c>ssh-keygen -l -f</c> reads, user-data must pass <see cref="UserDataRules"/>; either failing is a 400 with a code and
/// nothing stored. User-data is protected like the CHAP secrets and only its size and SHA-256 are shown or logged.
/// Changes apply to clones made after them (cloud-init runs its per-instance modules once per instance-id).
/// </summary>
public sealed class CloudInitSettings(IDbContextFactory<ApplianceDbContext> contexts, ISecretProtector secrets, IProcessRunner runner, ITimeline timeline)
{
    public const int MaxKeys = 64;

    public async Task<DonorImage> UpdateImageAsync(long imageId, CloudInitChange change, string actor, CancellationToken ct)
    {
        await ValidateAsync(change, ct);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var image = await db.DonorImages.SingleOrDefaultAsync(i => i.Id == imageId, ct)
            ?? throw DomainException.NotFound(ErrorCodes.ImageNotFound, $"Image {imageId} does not exist.");
        image.CloudInit = change.Mode ?? image.CloudInit;
        Apply(image, change);
        await db.SaveChangesAsync(ct);
        timeline.Record(new TimelineRecord(actor, "image.cloud-init", $"{image.DisplayName}: cloud-init {image.CloudInit}, {Describe(image)}, by {actor}")
        {
            DonorImageId = image.Id,
        });
        return image;
    }

    /// <summary>
    /// Checks a change before anything is stored: SSH keys with ssh-keygen, user-data by its rules; a blade's change
    /// cannot carry a mode (cloud-init on or off is the image's).
    /// </summary>
    public async Task ValidateAsync(CloudInitChange change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.SshAuthorizedKeys is { } keys)
        {
            await ValidateKeysAsync(keys, ct);
        }

        if (change.UserData is { Length: > 0 } userData && UserDataRules.Validate(userData) is { } problem)
        {
            throw DomainException.Invalid(ErrorCodes.InvalidUserData, problem);
        }
    }

    /// <summary>Writes a validated change into an image or a blade (tracked by the caller's context, not saved).</summary>
    public void Apply(ICloudInitSettings target, CloudInitChange change)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(change);
        if (change.SshAuthorizedKeys is { } k)
        {
            target.CloudInitSshKeys = k.Count == 0 ? null : string.Join('\n', k.Select(l => l.Trim()));
        }

        if (change.UserData is { } u)
        {
            target.CloudInitUserDataProtected = u.Length == 0 ? null : secrets.Protect(u);
            target.CloudInitUserDataSha256 = u.Length == 0 ? null : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(u)));
            target.CloudInitUserDataBytes = u.Length == 0 ? null : Encoding.UTF8.GetByteCount(u);
        }
    }

    /// <summary>What the settings hold, for a timeline summary: key count, user-data size and hash, never content.</summary>
    public static string Describe(ICloudInitSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var data = settings.CloudInitUserDataSha256 is null ? "no user-data" : $"user-data {settings.CloudInitUserDataBytes} bytes sha256 {settings.CloudInitUserDataSha256}";
        var keyCount = settings.CloudInitSshKeys is null ? 0 : settings.CloudInitSshKeys.Split('\n').Length;
        return $"{keyCount} authorised key(s), {data}";
    }

    private async Task ValidateKeysAsync(IReadOnlyList<string> keys, CancellationToken ct)
    {
        if (keys.Count > MaxKeys)
        {
            throw DomainException.Invalid(ErrorCodes.InvalidSshKey, $"At most {MaxKeys} SSH authorised keys.");
        }

        var dir = Directory.CreateTempSubdirectory("bp-sshkey-");
        try
        {
            for (var i = 0; i < keys.Count; i++)
            {
                var key = keys[i]?.Trim() ?? string.Empty;
                if (key.Length is 0 or > 16 * 1024 || key.Contains('\n', StringComparison.Ordinal) || key.Contains('\r', StringComparison.Ordinal))
                {
                    throw DomainException.Invalid(ErrorCodes.InvalidSshKey, $"sshAuthorizedKeys[{i}] must be one OpenSSH public key line.");
                }

                var file = Path.Combine(dir.FullName, "key.pub");
                await File.WriteAllTextAsync(file, key + "\n", ct);
                var result = await runner.TryRunAsync(new ProcessSpec("/usr/bin/ssh-keygen", ["-l", "-f", file]) { Timeout = TimeSpan.FromSeconds(10) }, ct);
                if (result.ExitCode != 0)
                {
                    throw DomainException.Invalid(ErrorCodes.InvalidSshKey, $"sshAuthorizedKeys[{i}] is not an SSH public key (ssh-keygen -l could not read it).");
                }
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
