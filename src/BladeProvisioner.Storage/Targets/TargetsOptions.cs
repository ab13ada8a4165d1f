using System.ComponentModel.DataAnnotations;
using System.Net;

namespace BladeProvisioner.Storage.Targets;

/// <summary>Configuration section "Targets".</summary>
public sealed class TargetsOptions : IValidatableObject
{
    public const string SectionName = "Targets";

    public TargetDriverKind Driver { get; set; } = TargetDriverKind.Tgt;

    /// <summary>Address the iSCSI portal listens on (and blades are told to use).</summary>
    [Required]
    public string PortalAddress { get; set; } = "0.0.0.0";

    [Range(1, 65535)]
    public int PortalPort { get; set; } = 3260;

    /// <summary>Start and supervise tgtd when none answers. Off when a system service runs it.</summary>
    public bool ManageTgtd { get; set; } = true;

    /// <summary>
    /// On shutdown, delete the targets of the tgtd this run started and stop it. Off by default: the data plane outlives
    /// the appliance (running blades keep their sessions through a restart or an upgrade, and the next start adopts the
    /// tgtd). The lab and tests that must leave nothing running turn it on.
    /// </summary>
    public bool StopTgtdOnShutdown { get; set; }

    /// <summary>Network namespace tgtd (and so its portal) runs in. Null: the host's.</summary>
    public string? NetworkNamespace { get; set; }

    /// <summary>
    /// tgtd/tgtadm control port. tgt's control socket is a file shared by all namespaces
    /// (<c>/var/run/tgtd/socket.&lt;port&gt;</c>), so every tgtd on a machine needs its own port. Null: tgt's default, 0.
    /// </summary>
    [Range(0, 65535)]
    public int? ControlPort { get; set; }

    /// <summary>Remove live targets the database does not know (only those under <see cref="ManagedIqnPrefix"/>).</summary>
    public bool RemoveUnknown { get; set; }

    /// <summary>IQN prefix of targets this appliance owns, e.g. <c>iqn.2026-11.com.example.bp:blade.</c>.</summary>
    public string? ManagedIqnPrefix { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often this node lists its target service's sessions to see blades' iSCSI logins and logouts (one listing
    /// for all targets per poll). A blade is Active from the poll that first sees its login.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:10:00")]
    public TimeSpan SessionPollInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Root of LIO's configfs tree (LIO driver only).</summary>
    public string ConfigFsRoot { get; set; } = "/sys/kernel/config/target";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!IPAddress.TryParse(PortalAddress, out _))
        {
            yield return new ValidationResult(
                $"Targets:PortalAddress '{PortalAddress}' is not an IP address.", [nameof(PortalAddress)]);
        }

        if (RemoveUnknown && string.IsNullOrWhiteSpace(ManagedIqnPrefix))
        {
            yield return new ValidationResult(
                "Targets:RemoveUnknown needs Targets:ManagedIqnPrefix, so only this appliance's targets are removed.",
                [nameof(ManagedIqnPrefix)]);
        }

        if (NetworkNamespace is { Length: > 0 } ns && !ns.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            yield return new ValidationResult(
                $"Targets:NetworkNamespace '{ns}' is not a namespace name.", [nameof(NetworkNamespace)]);
        }
    }
}
