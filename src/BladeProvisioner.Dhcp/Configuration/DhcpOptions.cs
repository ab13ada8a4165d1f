using System.ComponentModel.DataAnnotations;
using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Dhcp.Configuration;

/// <summary>Section <c>Dhcp</c>. Checked at start by <see cref="DhcpOptionsValidator"/>; errors name the offending key.</summary>
public sealed class DhcpOptions
{
    public const string Section = "Dhcp";

    /// <summary>Off unless configured: an appliance never answers DHCP on a network it was not told to serve.</summary>
    public bool Enabled { get; set; }

    public DhcpMode Mode { get; set; } = DhcpMode.Server;

    /// <summary>Provisioning interfaces by name; DHCP arriving on any other interface is never seen.</summary>
    public IList<DhcpInterfaceOptions> Interfaces { get; } = [];

    public IList<DhcpScopeOptions> Scopes { get; } = [];

    /// <summary>
    /// Source addresses of the relay agents whose relayed datagrams (giaddr set) are served; option 82 is read only from
    /// them. A relayed datagram from any other address is dropped (reason <c>untrusted_relay</c>). Empty: no relaying.
    /// </summary>
    public IList<string> TrustedRelays { get; } = [];

    /// <summary>URL handed to iPXE clients. Default <c>http://&lt;interface address&gt;:&lt;Boot:HttpPort&gt;/boot/ipxe</c>.</summary>
    public string? BootScriptUrl { get; set; }

    /// <summary>Base URL of the iPXE EFI binaries for UEFI HTTP-boot clients; the loader file name is appended.
    /// Default <c>http://&lt;interface address&gt;:&lt;port&gt;/boot/files/</c>.</summary>
    public string? HttpBootBaseUrl { get; set; }

    [Required]
    public string BiosBootFile { get; set; } = "undionly.kpxe";

    [Required]
    public string IpxeEfiBootFile { get; set; } = "ipxe.efi";

    [Required]
    public string SnpOnlyBootFile { get; set; } = "snponly.efi";

    /// <summary>Loader for UEFI blades whose own record and product have no preference.</summary>
    public UefiLoader DefaultUefiLoader { get; set; } = UefiLoader.IpxeEfi;

    /// <summary>Per product model (SMBIOS product name, as iPXE reports it) UEFI loader overrides.</summary>
    public IDictionary<string, UefiLoader> UefiLoaderByProduct { get; } = new Dictionary<string, UefiLoader>(StringComparer.OrdinalIgnoreCase);

    public DhcpProbeOptions ProbeBeforeOffer { get; set; } = new();

    /// <summary>
    /// Largest datagram (UDP payload) accepted; a larger one is dropped and counted (reason <c>Oversized</c>) before it
    /// is parsed. 1472 is what an Ethernet MTU of 1500 carries unfragmented (1500 - IPv4 20 - UDP 8). RFC 2131 §2
    /// only obliges a client to accept 576 bytes, and real clients (PXE ROMs, iPXE, dhclient, udhcpc, systemd) send
    /// far less than 1472, asking for larger replies with option 57 rather than sending large requests; anything
    /// bigger arrived as IP fragments, which no boot client sends. Raise it only for a client known to need it.
    /// </summary>
    [Range(576, 65507)]
    public int MaxDatagramSize { get; set; } = 1472;

    /// <summary>How long an address a client declined (RFC 2131 §3.1.5) is kept out of the pool.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan DeclineQuarantine { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long an offered address is held for the client before it may go to another.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan OfferHold { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Offers outstanding per scope at most; a DISCOVER from a MAC that holds nothing there is dropped at the limit
    /// (reason <c>offer_limit</c>) until offers are taken or expire (<see cref="OfferHold"/>).
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxOffersPerScope { get; set; } = 256;

    /// <summary>How long after its offer or first ACK a client may DECLINE the address (RFC 2131 §4.4.1: it probes at once).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan DeclineWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the lease writer collects lease commits into one transaction at most.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan GroupCommitWindow { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>How often expired leases are reclaimed in the database.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReclaimInterval { get; set; } = TimeSpan.FromSeconds(60);
}
