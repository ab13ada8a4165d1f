using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Web.Api;

/// <summary>Registers a blade before it is ever powered on (so it can be pre-assigned an image).</summary>
internal sealed record CreateBladeRequest(string? BootMac, string? Hostname, string? Chassis, string? Slot, long? AssignedImageId);

/// <summary>Changes to a blade. Absent fields are left as they are.</summary>
internal sealed record UpdateBladeRequest(
    string? Hostname, string? Chassis, string? Slot, long? AssignedImageId, bool? ClearAssignedImage, UefiLoader? UefiLoader,
    PowerDriverKind? PowerDriver, string? BmcAddress, string? BmcUsername, string? BmcPassword, string? InitiatorIqn)
{
    /// <summary>This blade's cloud-init keys and user-data (beside its image's), for its next clone; mode is the image's.</summary>
    public CloudInitBody? CloudInit { get; init; }

    /// <summary>Mutual CHAP for the blade's next volume: true or false; <see cref="FollowDefaultMutualChap"/> returns it to the appliance default.</summary>
    public bool? MutualChap { get; init; }

    public bool? FollowDefaultMutualChap { get; init; }
}

internal sealed record ImportImageBody(string? Name, string? OperatingSystem, BootMode? BootMode, string? Path, string? Notes);
