using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Data.Blades;

/// <summary>
/// Section <c>Enrolment</c>: how much unauthenticated boot traffic (DHCP from network-booting clients, iPXE's
/// <c>/boot/blade</c>) may create. Blades already known are never limited.
/// </summary>
public sealed class EnrolmentOptions
{
    public const string Section = "Enrolment";

    /// <summary>
    /// Blades in state Discovered that no admin or operator has acted on through the API: beyond this, new MACs are not
    /// enrolled. 0: only blades registered through the API are enrolled.
    /// </summary>
    [Range(0, 10_000_000)]
    public int MaxUnclaimedBlades { get; set; } = 1024;

    /// <summary>
    /// New MACs one source may enrol per minute (a token bucket that holds as many, so a whole chassis powered on at once
    /// gets in). A source is the DHCP relay's remote-id (the chassis), all unrelayed DHCP together, or, for iPXE, the
    /// HTTP client address.
    /// </summary>
    [Range(1, 1_000_000)]
    public int PerSourcePerMinute { get; set; } = 120;

    /// <summary>Refusals are logged and recorded on the timeline at most once per this interval (the metric counts each).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RefusalReportInterval { get; set; } = TimeSpan.FromMinutes(1);
}
