using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Web.Api;

/// <summary>The blade list's filter, shared by the API and the Blades page: by state, and by a search term.</summary>
internal static class BladeQueries
{
    /// <summary>Blades per page when the caller names no <c>limit</c>, and the most one page may hold.</summary>
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 500;

    /// <summary>Offsets beyond any plausible fleet are refused rather than scanned.</summary>
    public const int MaxOffset = 10_000_000;

    /// <summary>State equal to <paramref name="state"/>; the term in MAC, host name, serial or chassis. Ordered by location.</summary>
    public static IQueryable<Blade> Filter(this IQueryable<Blade> blades, BladeState? state, string? term)
    {
        if (state is not null)
        {
            blades = blades.Where(b => b.State == state);
        }

        if (!string.IsNullOrWhiteSpace(term))
        {
            var t = term.Trim().ToLowerInvariant();
            blades = blades.Where(b => b.BootMac.Contains(t) || (b.Hostname != null && b.Hostname.Contains(t))
                                       || (b.Serial != null && b.Serial.ToLower().Contains(t)) || (b.Chassis != null && b.Chassis.ToLower().Contains(t)));
        }

        return blades.OrderBy(b => b.Chassis).ThenBy(b => b.Slot).ThenBy(b => b.Id);
    }
}
