using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Security;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Power;

namespace BladeProvisioner.Provisioning;

/// <summary>
/// Restarts a blade through its BMC (IPMI or Redfish) with next boot = PXE, decrypting its BMC password only for the
/// call, and puts the outcome on the blade's timeline. Used after a clone and by an operator's restart.
/// </summary>
public sealed class BladePower(PowerControl power, ISecretProtector secrets, ITimeline timeline)
{
    /// <exception cref="PowerException">The BMC could not be reached or refused; the timeline has it too.</exception>
    public async Task<PowerResult> RestartAsync(Blade blade, string actor, long? jobId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(blade);
        var target = new PowerTarget(blade.Id, blade.BmcAddress, blade.BmcUsername, blade.BmcSecretProtected is null ? null : secrets.Unprotect(blade.BmcSecretProtected));
        try
        {
            var result = await power.RestartAsync(blade.PowerDriver, target, new RestartOptions(Uefi: blade.Platform == BootPlatform.Uefi), ct);
            timeline.Record(new TimelineRecord(actor, "blade.restarted", $"Restarted through {blade.PowerDriver} by {actor}: {result.Message}") { BladeId = blade.Id, JobId = jobId });
            return result;
        }
        catch (PowerException ex)
        {
            timeline.Record(new TimelineRecord(actor, "blade.restart-failed", $"{blade.PowerDriver} restart by {actor} failed ({ex.Code}): {ex.Message}") { BladeId = blade.Id, JobId = jobId });
            throw;
        }
    }

    /// <summary>
    /// Powers the blade off through its BMC and waits for off; null for an in-band blade (no BMC: nothing to call).
    /// </summary>
    /// <exception cref="PowerException">The BMC could not be reached, refused, or the blade stayed on.</exception>
    public async Task<PowerResult?> PowerOffAsync(Blade blade, string actor, long? jobId, TimeSpan wait, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(blade);
        if (blade.PowerDriver == PowerDriverKind.InBand)
        {
            return null;
        }

        var target = new PowerTarget(blade.Id, blade.BmcAddress, blade.BmcUsername, blade.BmcSecretProtected is null ? null : secrets.Unprotect(blade.BmcSecretProtected));
        try
        {
            var result = await power.PowerOffAsync(blade.PowerDriver, target, wait, ct);
            timeline.Record(new TimelineRecord(actor, "blade.powered-off", $"Powered off through {blade.PowerDriver} by {actor}: {result.Message}") { BladeId = blade.Id, JobId = jobId });
            return result;
        }
        catch (PowerException ex)
        {
            timeline.Record(new TimelineRecord(actor, "blade.power-off-failed", $"{blade.PowerDriver} power-off by {actor} failed ({ex.Code}): {ex.Message}") { BladeId = blade.Id, JobId = jobId });
            throw;
        }
    }
}
