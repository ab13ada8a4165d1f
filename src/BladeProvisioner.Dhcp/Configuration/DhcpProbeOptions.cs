using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Dhcp.Configuration;

/// <summary>ICMP echo before offering a new address (<c>Dhcp:ProbeBeforeOffer</c>); costs up to Timeout per new client.</summary>
public sealed class DhcpProbeOptions
{
    public bool Enabled { get; set; } = true;

    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:05")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>How long a probe result is reused for the same address.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan CacheTime { get; set; } = TimeSpan.FromSeconds(60);
}
