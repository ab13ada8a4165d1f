using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Security;
using BladeProvisioner.Data;
using BladeProvisioner.Storage.Targets;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Storage.Volumes;

/// <summary>
/// The targets the database says must be live: every Exported volume, with its blade's initiator name and its CHAP
/// secrets decrypted just for the driver. The reconciler makes tgtd match this list.
/// </summary>
internal sealed class DatabaseTargetSource(IDbContextFactory<ApplianceDbContext> contexts, ISecretProtector secrets) : IDesiredTargetSource
{
    public async Task<IReadOnlyList<TargetSpec>> GetDesiredAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rows = await (
            from v in db.BootVolumes.AsNoTracking()
            join b in db.Blades.AsNoTracking() on v.BladeId equals b.Id
            where v.State == BootVolumeState.Exported
            orderby v.TargetIqn
            select new { Volume = v, b.InitiatorIqn }).ToListAsync(ct);
        return [.. rows.Where(r => r.InitiatorIqn is not null).Select(r => VolumeTargetSpec.For(r.Volume, r.InitiatorIqn!, secrets))];
    }
}
