using BladeProvisioner.Web.Auth;
using Hangfire;

namespace BladeProvisioner.Web.UI;

/// <summary>
/// The job engine's own dashboard (queues, workers, servers, retries, recurring jobs) under <see cref="Path"/>, for
/// admins only: the appliance's sign-in and roles decide, not Hangfire's filters. The Jobs page stays the place to
/// cancel and retry; the dashboard is for looking into the engine.
/// </summary>
internal static class JobsDashboard
{
    public const string Path = "/jobs/hangfire";

    public static IEndpointRouteBuilder MapJobsDashboard(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHangfireDashboardWithAuthorizationPolicy(AuthRoles.AdminPolicy, Path, new DashboardOptions
        {
            AppPath = "/jobs",
            DashboardTitle = "BladeProvisioner · job engine",
            DisplayStorageConnectionString = false,
            Authorization = [],
        });
        return endpoints;
    }
}
