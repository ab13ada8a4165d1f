using System.Globalization;

namespace BladeProvisioner.Core.Boot;

/// <summary>
/// The one definition of the boot endpoints' URLs: the Boot module maps them, the DHCP module hands them to blades
/// (the script URL to iPXE, the loader directory to UEFI HTTP-boot firmware).
/// </summary>
public static class BootUrls
{
    /// <summary>Every path of the blade's conversation starts here (anonymous, answered only once the appliance is ready).</summary>
    public const string Prefix = "/boot";

    /// <summary>What DHCP hands iPXE: the entry script, which chains to the blade's identity.</summary>
    public const string EntryPath = Prefix + "/ipxe";

    /// <summary>The iPXE binaries over HTTP, for UEFI HTTP-boot firmware; the file name follows.</summary>
    public const string LoaderFilesPath = Prefix + "/files/";

    /// <summary><c>http://host:port/boot/ipxe</c></summary>
    public static string Entry(string host, int port) => string.Create(CultureInfo.InvariantCulture, $"http://{host}:{port}{EntryPath}");

    /// <summary>The query parameter a DHCP answer adds to the boot URL: the boot ticket (see <see cref="IBootTickets"/>).</summary>
    public const string TicketParameter = "ticket";

    /// <summary>The boot URL with a ticket appended (a configured URL may carry a query of its own).</summary>
    public static string WithTicket(string url, string ticket)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentException.ThrowIfNullOrEmpty(ticket);
        return url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + TicketParameter + "=" + ticket;
    }

    /// <summary><c>http://host:port/boot/files/</c></summary>
    public static string LoaderFiles(string host, int port) => string.Create(CultureInfo.InvariantCulture, $"http://{host}:{port}{LoaderFilesPath}");
}
