using BladeProvisioner.Core.Readiness;
using Microsoft.Extensions.DependencyInjection;

namespace BladeProvisioner.Testing;

/// <summary>
/// An in-process appliance is started when its host has started, but it is ready only once every readiness gate has
/// opened (the database migrated, the first target reconcile done, which runs in the background). Tests that look at
/// readiness itself wait for it here, as a load balancer would poll /health/ready.
/// </summary>
public static class Readiness
{
    public static async Task WaitReadyAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var readiness = services.GetRequiredService<ApplianceReadiness>();
        try
        {
            await readiness.WaitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(90), cancellationToken);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the appliance did not become ready within 90 s; gates still closed: {string.Join(", ", readiness.Pending)}");
        }
    }
}
