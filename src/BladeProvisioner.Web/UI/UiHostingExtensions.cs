using BladeProvisioner.Web.Auth;
using BladeProvisioner.Web.UI;

namespace BladeProvisioner.Web;

/// <summary>The web UI: Razor Pages under <c>UI/Pages</c>, our own small CSS and JS served from the assembly (no CDN, no npm).</summary>
public static class UiHostingExtensions
{
    public static IHostApplicationBuilder AddWebUi(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddRazorPages(o =>
        {
            o.RootDirectory = "/UI/Pages";
            o.Conventions.AuthorizeFolder("/", AuthRoles.ReadPolicy);
            o.Conventions.AllowAnonymousToPage("/Login");
            o.Conventions.AllowAnonymousToPage("/Setup");
            o.Conventions.AuthorizePage("/Users", AuthRoles.AdminPolicy);
        }).AddApplicationPart(typeof(UiHostingExtensions).Assembly);
        return builder;
    }

    public static IEndpointRouteBuilder MapWebUi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/assets/{name}", (string name, HttpContext http) => UiAssets.Serve(name, http)).ExcludeFromDescription();
        endpoints.MapRazorPages();
        endpoints.MapJobsDashboard();
        return endpoints;
    }
}
