using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Power;

/// <summary>Configuration section "Power".</summary>
public sealed class PowerOptions
{
    public const string SectionName = "Power";

    /// <summary>Whole-command limit for one ipmitool call.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan IpmiTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>ipmitool <c>-R</c>: RMCP+ retries per request (<c>-N 1</c>: one second first, longer after). 0 would mean ipmitool's own default (~20 s to give up).</summary>
    [Range(1, 10)]
    public int IpmiRetries { get; set; } = 3;

    /// <summary>
    /// ipmitool <c>-C</c>; empty lets ipmitool ask the BMC (Get Channel Cipher Suites) and pick 17 or 3. Set it for a BMC
    /// that does not answer that request (OpenIPMI's ipmi_sim: 3), or every call waits out the retries first.
    /// </summary>
    [Range(0, 17)]
    public int? IpmiCipherSuite { get; set; }

    /// <summary>ipmitool <c>-L</c>: the session privilege asked for. Chassis control needs OPERATOR or above.</summary>
    [RegularExpression("^(OPERATOR|ADMINISTRATOR)$")]
    public string IpmiPrivilege { get; set; } = "ADMINISTRATOR";

    [Required]
    public string IpmiToolPath { get; set; } = "ipmitool";

    /// <summary>Limit for each Redfish HTTP request.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RedfishTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Accept any BMC certificate, trusted or not, for every blade. Off by default; for labs only. Prefer pinning one
    /// blade's self-signed certificate (<see cref="PowerTarget.TrustedCertificateSha256"/>).
    /// </summary>
    public bool AllowInsecureBmcCertificates { get; set; }
}
