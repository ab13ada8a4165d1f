using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Tftp;

/// <summary>Configuration section "Tftp".</summary>
public sealed class TftpOptions
{
    public const string SectionName = "Tftp";

    /// <summary>Off by default: an appliance never answers on a network it was not told to serve.</summary>
    public bool Enabled { get; set; }

    /// <summary>Provisioning interfaces to serve; one socket per interface, bound to the device (SO_BINDTODEVICE).</summary>
    public IList<string> Interfaces { get; } = [];

    /// <summary>Local address to bind (default: any address of each interface). Without interfaces: tests and loopback only.</summary>
    public string? ListenAddress { get; set; }

    [Range(0, 65535)]
    public int Port { get; set; } = 69;

    /// <summary>Absolute directory holding the iPXE binaries and generated files.</summary>
    public string? Root { get; set; }

    /// <summary>
    /// Largest blksize granted (RFC 2348). Unset: what fits the interface MTU unfragmented (MTU - IP 20 - UDP 8 -
    /// TFTP 4: 1468 on Ethernet), and 1468 where no interface is bound.
    /// </summary>
    [Range(8, 65464)]
    public int? MaxBlockSize { get; set; }

    /// <summary>Largest windowsize granted (RFC 7440).</summary>
    [Range(1, 65535)]
    public int MaxWindowSize { get; set; } = 64;

    /// <summary>Transfers running at once; one more is refused with a TFTP error naming the limit.</summary>
    [Range(1, 100000)]
    public int MaxConcurrentTransfers { get; set; } = 256;

    /// <summary>
    /// Transfers from one client address at once; one more is refused. A PXE ROM or iPXE runs one transfer at a time
    /// (a tsize probe it abandons is ended by its own ERROR), so a few are plenty, and one host on the provisioning
    /// network cannot take every slot from many source ports.
    /// </summary>
    [Range(1, 100000)]
    public int MaxTransfersPerClient { get; set; } = 4;

    /// <summary>
    /// Largest retransmission timeout a client may negotiate (RFC 2349 allows 1-255 s). A larger one is not
    /// acknowledged (the RFC's other permitted answer) and <see cref="Timeout"/> applies instead, so a client that
    /// asks for 255 s and never ACKs does not hold a slot for hours.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:04:15")]
    public TimeSpan MaxNegotiatedTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longest a transfer may run, whatever the client does; then it is ended with a TFTP error and its slot freed.
    /// An iPXE binary (about 1 MiB) takes seconds even lock-step at 512 bytes; the default leaves a wide margin.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MaxTransferDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>First retransmission timeout unless the client negotiates one (RFC 2349); doubled per retry.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:04:15")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Retransmissions without progress before a transfer is abandoned and its session freed.</summary>
    [Range(0, 100)]
    public int MaxRetries { get; set; } = 5;

    /// <summary>Longest file name served.</summary>
    [Range(1, 4096)]
    public int MaxPathLength { get; set; } = 255;
}
