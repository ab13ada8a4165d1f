using System.Globalization;
using BladeProvisioner.Boot.Scripts;
using BladeProvisioner.Core.Blades;
using BladeProvisioner.Core.Boot;
using BladeProvisioner.Core.Hosting;
using BladeProvisioner.Core.Model;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Boot.Endpoints;

/// <summary>
/// The blade's side of the conversation, as plain-text iPXE scripts:
/// <c>/boot/ipxe</c> (the URL DHCP hands to iPXE) → <c>/boot/blade</c> (identity; enrol; route by state) →
/// <c>/boot/menu</c> → <c>/boot/choose</c> → <c>/boot/status</c> (progress, then restart) → sanboot.
/// Every script served lands on the blade's timeline.
/// </summary>
public static class BootEndpoints
{
    public static IEndpointRouteBuilder MapBootEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        // The blades' conversation lives on the provisioning listener only; the management listener answers it 404.
        var g = endpoints.MapGroup(string.Empty).ExcludeFromDescription().WithMetadata(new ServedOn(ListenerPlanes.Provisioning));
        g.MapGet(BootPaths.Entry, (HttpContext http, BootConversation c, string? ticket) => c.EntryAsync(http, ticket));
        g.MapGet(BootPaths.Blade, (HttpContext http, BootConversation c, string? mac, string? uuid, string? serial, string? manufacturer, string? product, string? platform, string? buildarch, string? ticket) =>
            c.IdentifyAsync(http, new BladeIdentity(mac, uuid, serial, manufacturer, product, platform, buildarch), ticket));
        g.MapGet(BootPaths.Menu, (HttpContext http, BootConversation c, long? blade, string? error, string? errno, string? token) => c.MenuAsync(http, blade, error, errno, token));
        g.MapGet(BootPaths.Choose, (HttpContext http, BootConversation c, long? blade, long? image, string? token) => c.ChooseAsync(http, blade, image, token));
        g.MapGet(BootPaths.Status, (HttpContext http, BootConversation c, long? blade, string? token) => c.StatusAsync(http, blade, token));
        g.MapGet(BootPaths.Files, ServeLoader);
        g.MapPost(Core.CloudInit.PhoneHomeToken.PathPrefix + "{token}", (HttpContext http, PhoneHome p, string token) => p.PostAsync(http, token)).DisableAntiforgery();
        return endpoints;
    }

    /// <summary>The iPXE builds UEFI HTTP-boot firmware fetches (DHCP hands it this URL): only these names, from the TFTP root.</summary>
    private static IResult ServeLoader(string name, IOptions<BootOptions> options)
    {
        if (name is not ("ipxe.efi" or "snponly.efi" or "undionly.kpxe") || options.Value.LoaderDirectory is not { Length: > 0 } root)
        {
            return Results.NotFound();
        }

        var path = Path.Combine(root, name);
        return File.Exists(path) ? Results.File(path, "application/efi", enableRangeProcessing: true) : Results.NotFound();
    }
}

/// <summary>What iPXE says about the blade it runs on.</summary>
public sealed record BladeIdentity(string? Mac, string? Uuid, string? Serial, string? Manufacturer, string? Product, string? Platform, string? BuildArch)
{
    public BootPlatform BootPlatform => Platform switch
    {
        "pcbios" => BootPlatform.Bios,
        "efi" => BootPlatform.Uefi,
        _ => BootPlatform.Unknown,
    };

    /// <summary>iPXE prints an unset UUID as nothing; firmware placeholders are ignored by the directory.</summary>
    public Guid? SmbiosUuid => Guid.TryParse(Uuid, CultureInfo.InvariantCulture, out var g) ? g : null;

    public BladeSighting ToSighting(string mac) => new(mac)
    {
        SmbiosUuid = SmbiosUuid,
        Serial = Serial,
        Manufacturer = Manufacturer,
        Product = Product,
        Platform = BootPlatform,
        Source = "boot",
    };
}
