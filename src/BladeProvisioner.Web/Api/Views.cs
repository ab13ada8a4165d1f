using BladeProvisioner.Core.Blades;
using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Web.Api;

// What the API shows. Secrets (CHAP, BMC passwords) have no field here: they never leave the appliance this way.

internal sealed record BladeView(
    long Id, string BootMac, Guid? SmbiosUuid, string? Serial, string? Manufacturer, string? Product, BootPlatform Platform,
    int? ClientArchitecture, string? Chassis, string? Slot, string? LocationSource, string? Hostname, string? InitiatorIqn,
    BladeState State, DateTimeOffset StateChangedAt, long? AssignedImageId, UefiLoader UefiLoader, PowerDriverKind PowerDriver,
    string? BmcAddress, string? BmcUsername, bool HasBmcPassword, DateTimeOffset CreatedAt, DateTimeOffset LastSeenAt, bool? MutualChap,
    DateTimeOffset? ClaimedAt)
{
    /// <summary>
    /// The latest boot from the timeline: its start (power-on or first DHCP), sanboot issued, the iSCSI login seen on
    /// the blade's target (with address), and the seconds from the start to each. Null when the timeline shows none.
    /// </summary>
    public BladeBoot? LastBoot { get; init; }

    /// <summary>This blade's own cloud-init keys and user-data (size and hash only); its image's apply too.</summary>
    public BladeCloudInitView CloudInit { get; init; } = BladeCloudInitView.None;

    public static BladeView From(Blade b, BladeBoot? lastBoot = null) => new(
        b.Id, b.BootMac, b.SmbiosUuid, b.Serial, b.Manufacturer, b.Product, b.Platform, b.ClientArchitecture, b.Chassis, b.Slot,
        b.LocationSource, b.Hostname, b.InitiatorIqn, b.State, b.StateChangedAt, b.AssignedImageId, b.UefiLoader, b.PowerDriver,
        b.BmcAddress, b.BmcUsername, b.BmcSecretProtected is not null, b.CreatedAt, b.LastSeenAt, b.MutualChap, b.ClaimedAt)
    {
        LastBoot = lastBoot,
        CloudInit = BladeCloudInitView.From(b),
    };
}

internal sealed record BladeCloudInitView(IReadOnlyList<string> SshAuthorizedKeys, bool UserDataSet, int? UserDataBytes, string? UserDataSha256)
{
    public static readonly BladeCloudInitView None = new([], false, null, null);

    public static BladeCloudInitView From(ICloudInitSettings s) => new(
        s.CloudInitSshKeys is null ? [] : s.CloudInitSshKeys.Split('\n'), s.CloudInitUserDataProtected is not null, s.CloudInitUserDataBytes, s.CloudInitUserDataSha256);
}

internal sealed record ImageView(
    long Id, string Name, int Version, string OperatingSystem, BootMode BootMode, ImageFormat SourceFormat, DonorImageState State,
    long VirtualSize, long AllocatedSize, string? Sha256, string? Notes, string? CreatedBy, DateTimeOffset CreatedAt, int VolumeCount,
    OsPersonalization OsPersonalization, DiskIdentifierPolicy DiskIdentifiers, CloudInitView CloudInit)
{
    public static ImageView From(DonorImage i, int volumes) => new(
        i.Id, i.Name, i.Version, i.OperatingSystem, i.BootMode, i.SourceFormat, i.State, i.VirtualSize, i.AllocatedSize, i.Sha256, i.Notes,
        i.CreatedBy, i.CreatedAt, volumes, i.OsPersonalization, i.DiskIdentifiers,
        new CloudInitView(
            i.CloudInit,
            i.CloudInitSshKeys is null ? [] : i.CloudInitSshKeys.Split('\n'),
            i.CloudInitUserDataProtected is not null,
            i.CloudInitUserDataBytes,
            i.CloudInitUserDataSha256));
}

/// <summary>An image's cloud-init settings as shown: whether user-data is set, its size and SHA-256, never its content.</summary>
internal sealed record CloudInitView(CloudInitPolicy Mode, IReadOnlyList<string> SshAuthorizedKeys, bool UserDataSet, int? UserDataBytes, string? UserDataSha256);

internal sealed record VolumeView(
    long Id, long BladeId, long DonorImageId, string BackingPath, long SizeBytes, string TargetIqn, int Lun, string ScsiSerial,
    string Wwn, string ChapUser, bool MutualChap, BootVolumeState State, long? JobId, DateTimeOffset CreatedAt)
{
    public static VolumeView From(BootVolume v) => new(
        v.Id, v.BladeId, v.DonorImageId, v.BackingPath, v.SizeBytes, v.TargetIqn, v.Lun, v.ScsiSerial, v.Wwn, v.ChapUser,
        v.MutualChapUser is not null, v.State, v.JobId, v.CreatedAt);
}

internal sealed record JobView(
    long Id, string Kind, JobState State, long ProgressDone, long ProgressTotal, double Percent, double Rate, int Attempts,
    bool CancelRequested, string? Error, string? ErrorCode, string? Node, long? BladeId, long? DonorImageId, long? BootVolumeId,
    string? CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, DateTimeOffset UpdatedAt)
{
    public static JobView From(Job j) => new(
        j.Id, j.Kind, j.State, j.ProgressDone, j.ProgressTotal,
        j.ProgressTotal > 0 ? Math.Round(100.0 * j.ProgressDone / j.ProgressTotal, 1) : (j.State == JobState.Succeeded ? 100 : 0),
        j.Rate, j.Attempts, j.CancelRequested, j.Error, j.ErrorCode, j.Node, j.BladeId, j.DonorImageId, j.BootVolumeId, j.CreatedBy,
        j.CreatedAt, j.StartedAt, j.FinishedAt, j.UpdatedAt);
}

internal sealed record EventView(
    long Id, DateTimeOffset At, string Actor, string Kind, string Summary, string? Details, long? BladeId, long? JobId,
    long? DonorImageId, long? BootVolumeId)
{
    public static EventView From(Event e) => new(e.Id, e.At, e.Actor, e.Kind, e.Summary, e.Details, e.BladeId, e.JobId, e.DonorImageId, e.BootVolumeId);
}
