using BladeProvisioner.Core.CloudInit;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Naming;
using BladeProvisioner.Core.Security;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Data;
using BladeProvisioner.Jobs;
using BladeProvisioner.Storage.CloudInit;
using BladeProvisioner.Storage.Identity;
using BladeProvisioner.Storage.Partitioning;

namespace BladeProvisioner.Provisioning;

/// <summary>
/// The clone's cloud-init NoCloud seed: whether it gets one (the image's policy, else cloud-init found in its root
/// offline), then the FAT image beside the volume and its LUN on the volume row, so the export and every later
/// reconcile serve it as the target's next LUN. The phone-home token is drawn again on each run (a resumed clone
/// rewrites the seed whole) and only its hash is stored; the instance-id is the volume's own, the same on a resume.
/// </summary>
internal sealed class CloudInitSeeding(VolumePartitioner partitioner, OsPersonalizer os, SeedImageWriter writer, ISecretProtector secrets, TimeProvider time)
{
    public const string SeedSuffix = ".cidata";

    public async Task SeedAsync(JobContext context, ApplianceDbContext db, BootVolume volume, Blade blade, DonorImage image, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        bool? found = null;
        if (image.CloudInit == CloudInitPolicy.Auto && await partitioner.ReadLayoutAsync(volume.BackingPath, ct) is { } layout)
        {
            found = await os.HasCloudInitAsync(volume.BackingPath, layout, ct);
        }

        var wanted = image.CloudInit switch
        {
            CloudInitPolicy.On => true,
            CloudInitPolicy.Off => false,
            _ => found == true,
        };
        if (!wanted)
        {
            if (volume.SeedPath is not null)
            {
                volume.SeedPath = volume.SeedScsiSerial = volume.SeedWwn = volume.InstanceId = volume.PhoneHomeTokenHash = null;
                volume.SeedLun = null;
                await db.SaveChangesAsync(ct);
            }

            return;
        }

        var keys = Lines(image.CloudInitSshKeys).Concat(Lines(blade.CloudInitSshKeys)).Distinct(StringComparer.Ordinal).ToList();
        var token = PhoneHomeToken.New();
        var url = Uri.TryCreate(blade.BootBaseUrl, UriKind.Absolute, out var bootBase) ? PhoneHomeToken.UrlFor(bootBase, token) : null;
        var seed = new NoCloudSeed
        {
            InstanceId = NoCloudSeed.InstanceIdFor(Convert.FromHexString(volume.Wwn)),
            Hostname = blade.Hostname ?? $"blade-{blade.Id}",
            SshAuthorizedKeys = keys,
            ImageUserData = image.CloudInitUserDataProtected is { } i ? secrets.Unprotect(i) : null,
            BladeUserData = blade.CloudInitUserDataProtected is { } b ? secrets.Unprotect(b) : null,
            PhoneHomeUrl = url,
        };
        var path = volume.BackingPath + SeedSuffix;
        await writer.WriteAsync(path, seed, ct);
        volume.SeedPath = path;
        volume.SeedLun = volume.Lun + 1;
        volume.SeedScsiSerial ??= ScsiIdentity.NewSerial(volume.Id);
        volume.SeedWwn ??= ScsiIdentity.NewWwn();
        volume.InstanceId = seed.InstanceId;
        volume.PhoneHomeTokenHash = url is null ? null : PhoneHomeToken.Hash(token);
        await db.SaveChangesAsync(CancellationToken.None);
        var ms = time.GetElapsedTime(started).TotalMilliseconds;
        var why = image.CloudInit == CloudInitPolicy.On ? "the image's policy" : "cloud-init found in the root";
        var phone = url is null ? "no phone-home (the blade never reached the boot API)" : "phone-home to " + bootBase!.GetLeftPart(UriPartial.Authority);
        var summary = $"cloud-init seed as LUN {volume.SeedLun} ({why}): instance {seed.InstanceId}, {keys.Count} authorised key(s), {phone} ({ms:F0} ms)";
        context.Timeline.Record(new TimelineRecord("storage", "volume.seeded", summary)
        {
            BladeId = volume.BladeId,
            BootVolumeId = volume.Id,
            JobId = context.JobId,
            Details = new Dictionary<string, object?>
            {
                ["lun"] = volume.SeedLun,
                ["instanceId"] = seed.InstanceId,
                ["hostname"] = seed.Hostname,
                ["reason"] = image.CloudInit == CloudInitPolicy.On ? "policy" : "detected",
                ["authorizedKeys"] = keys.Count,
                ["imageUserDataSha256"] = image.CloudInitUserDataSha256,
                ["bladeUserDataSha256"] = blade.CloudInitUserDataSha256,
                ["phoneHome"] = url is not null,
                ["phoneHomeBase"] = bootBase?.GetLeftPart(UriPartial.Authority),
                ["milliseconds"] = Math.Round(ms, 1),
            },
        });
    }

    internal static IEnumerable<string> Lines(string? text) =>
        (text ?? string.Empty).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
