using BladeProvisioner.Dhcp.Leases;
using BladeProvisioner.Dhcp.Scopes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace BladeProvisioner.Dhcp.Api;

/// <summary>Read-only lease endpoints: <c>GET /api/dhcp/leases[?scope=&amp;mac=]</c>.</summary>
public static class DhcpEndpointRouteBuilderExtensions
{
    public static IEndpointRouteBuilder MapDhcpApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup("/api/dhcp").WithTags("DHCP");
        group.MapGet("/leases", ListLeasesAsync).WithName("ListDhcpLeases");
        return endpoints;
    }

    private static async Task<Ok<List<DhcpLeaseView>>> ListLeasesAsync(ILeaseStore store, string? scope, string? mac, CancellationToken cancellationToken)
    {
        var rows = await store.LoadAsync(cancellationToken);
        var views = rows
            .Where(r => scope is null || r.Scope == scope)
            .Where(r => mac is null || string.Equals(r.Mac, mac, StringComparison.OrdinalIgnoreCase))
            .OrderBy(r => r.Scope, StringComparer.Ordinal).ThenBy(r => r.Address)
            .Select(r => new DhcpLeaseView(r.Scope, Ipv4.Format(r.Address), r.Mac, r.State.ToString(), r.ExpiresAt, r.ClientId, r.Hostname, r.BladeId, r.UpdatedAt))
            .ToList();
        return TypedResults.Ok(views);
    }
}
