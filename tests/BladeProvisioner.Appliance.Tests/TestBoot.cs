using System.Net;
using System.Text.RegularExpressions;
using BladeProvisioner.Core.Boot;
using Microsoft.Extensions.DependencyInjection;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>What an in-process test needs to play iPXE: the ticket a DHCP answer would carry, and the links of a script.</summary>
internal static partial class TestBoot
{
    [GeneratedRegex(@"/boot/status\?blade=\d+&token=[A-Za-z0-9_-]+")]
    private static partial Regex StatusLink();

    [GeneratedRegex(@"/boot/menu\?blade=\d+(&error=[A-Z_]+)?&token=[A-Za-z0-9_-]+")]
    private static partial Regex MenuLink();

    /// <summary>The ticket the DHCP service puts in its answer to iPXE for <paramref name="mac"/> at <paramref name="address"/>.</summary>
    public static Task<string> TicketAsync(IServiceProvider services, string mac, string address = "127.0.0.1") =>
        services.GetRequiredService<IBootTickets>().IssueAsync(new BootTicketGrant(mac.Replace('-', ':').ToLowerInvariant(), IPAddress.Parse(address), "dhcp"), CancellationToken.None);

    /// <summary><c>/boot/blade</c> as the entry script sends it, with a fresh ticket.</summary>
    public static async Task<string> IdentifyPathAsync(IServiceProvider services, string mac, string query, string address = "127.0.0.1") =>
        $"/boot/blade?mac={mac}&{query}&ticket={await TicketAsync(services, mac, address)}";

    /// <summary>The status link (with its one-time token) of a progress script.</summary>
    public static string StatusPath(string script) => StatusLink().Match(script) is { Success: true } m ? m.Value : throw new InvalidOperationException("No status link in:\n" + script);

    /// <summary>The refresh link (with its one-time token) of a menu or error script.</summary>
    public static string MenuPath(string script) => MenuLink().Match(script) is { Success: true } m ? m.Value : throw new InvalidOperationException("No menu link in:\n" + script);
}
