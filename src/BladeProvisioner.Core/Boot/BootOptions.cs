using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Core.Boot;

/// <summary>Section <c>Boot</c>: where blades reach the boot endpoints.</summary>
public sealed class BootOptions
{
    public const string Section = "Boot";

    /// <summary>The HTTP port blades reach the appliance on; the default boot URLs DHCP hands out carry it.</summary>
    [Range(1, 65535)]
    public int HttpPort { get; set; } = 8080;

    /// <summary>Where the iPXE binaries served under <see cref="BootUrls.LoaderFilesPath"/> are; the appliance sets the TFTP root.</summary>
    public string? LoaderDirectory { get; set; }

    /// <summary>
    /// How long a boot ticket from a DHCP answer may wait for its first use (iPXE uses it within a second or two;
    /// firmware that is slow to fetch its script needs more). Spent on first use either way.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:10", "00:30:00")]
    public TimeSpan TicketLifetime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a one-time token carried by a boot script may wait for its use (a menu refreshes well within it).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Admit only blades whose boot URL carries a ticket from the appliance's own DHCP service (server or proxy mode).
    /// Off only where another DHCP server hands iPXE the boot URL and the appliance sees no DHCP at all; then any host
    /// that reaches <c>/boot/**</c> may claim any MAC (see the security model in docs/operations.md).
    /// </summary>
    public bool RequireDhcpTicket { get; set; } = true;
}
