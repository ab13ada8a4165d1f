namespace BladeProvisioner.Core.Blades;

/// <summary>
/// A blade's most recent boot as its timeline tells it: how it started (a restart through the BMC or in-band, or the
/// first DHCP exchange of the boot), when the sanboot script was issued, and when the blade's iSCSI login was seen on
/// its target. A stage not reached yet is null; so is its elapsed time, and so are all elapsed times when the start
/// of the boot is not on the timeline.
/// </summary>
public sealed record BladeBoot
{
    /// <summary>Power-on (a restart event) or, without one, the first DHCP exchange of this boot.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary><c>power</c> (a restart the appliance made) or <c>dhcp</c> (first DHCP of the boot); null when unknown.</summary>
    public string? StartedBy { get; init; }

    public DateTimeOffset? SanbootAt { get; init; }

    /// <summary>The first iSCSI login of the blade seen on its target during this boot.</summary>
    public DateTimeOffset? IscsiLoginAt { get; init; }

    /// <summary>The initiator's address of that login, as the target service reports it.</summary>
    public string? IscsiLoginAddress { get; init; }

    public string? IscsiLoginInitiator { get; init; }

    /// <summary>When the last session of this boot went away; null while one is up.</summary>
    public DateTimeOffset? IscsiLogoutAt { get; init; }

    /// <summary>When the OS's cloud-init phoned home (<c>blade.os-up</c>) during this boot.</summary>
    public DateTimeOffset? OsUpAt { get; init; }

    public double? OsUpAfterSeconds => Elapsed(OsUpAt);

    public double? SanbootAfterSeconds => Elapsed(SanbootAt);

    public double? IscsiLoginAfterSeconds => Elapsed(IscsiLoginAt);

    private double? Elapsed(DateTimeOffset? at) =>
        StartedAt is { } start && at is { } t ? Math.Round((t - start).TotalSeconds, 3) : null;
}
