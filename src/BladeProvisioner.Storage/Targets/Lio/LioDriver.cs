using BladeProvisioner.Platform.Processes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Storage.Targets.Lio;

/// <summary>
/// The kernel LIO target, changed through targetcli and read from configfs. For production hosts with
/// target_core_mod; machines without configfs report "not running". LIO has no controller LUN and keeps CHAP per
/// ACL; it derives the NAA WWN from the unit serial, so <see cref="TargetSpec.Wwn"/> is not applied and
/// listings report no WWN.
/// </summary>
public sealed partial class LioDriver : ITargetDriver
{
    private readonly IProcessRunner _runner;
    private readonly LioConfigFs _configFs;
    private readonly IOptions<TargetsOptions> _options;
    private readonly ILogger<LioDriver> _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public LioDriver(IProcessRunner runner, IOptions<TargetsOptions> options, ILogger<LioDriver> logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _runner = runner;
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _configFs = new LioConfigFs(options.Value.ConfigFsRoot);
    }

    public Task<bool> IsRunningAsync(CancellationToken ct) => Task.FromResult(_configFs.IsLoaded);

    public Task<IReadOnlyList<LiveTarget>> ListAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        IReadOnlyList<LiveTarget> list = [.. _configFs.Read().Select(t => new LiveTarget(
            0,
            t.Iqn,
            t.Luns,
            [.. t.Acls.Select(a => a.Initiator)],
            [.. t.Acls.Where(a => a.UserId is not null).Select(a => a.UserId!).Distinct(StringComparer.Ordinal)],
            [.. t.Acls.Where(a => a.MutualUserId is not null).Select(a => a.MutualUserId!).Distinct(StringComparer.Ordinal)],
            [.. t.Acls.Where(a => a.SessionAddresses.Count > 0).Select(a => new LiveSession(a.Initiator, a.Initiator, a.SessionAddresses, now))]))];
        return Task.FromResult(list);
    }

    public async Task EnsureTargetAsync(TargetSpec spec, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.ExtraLuns.Count > 0)
        {
            // The LIO plan makes one backstore per target; a second LUN (the cloud-init seed) is tgt-only for now.
            throw new NotSupportedException($"Target '{spec.TargetIqn}': the LIO driver exports one LUN per target; extra LUNs need the tgt driver.");
        }

        await _gate.WaitAsync(ct);
        try
        {
            foreach (var step in Plan(spec, _configFs.Read().FirstOrDefault(t => t.Iqn == spec.TargetIqn)))
            {
                await _runner.RunAsync(step, ct);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task RemoveTargetAsync(string targetIqn, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var live = _configFs.Read().FirstOrDefault(t => t.Iqn == targetIqn);
            if (live is null)
            {
                return;
            }

            foreach (var step in LioCommands.Remove(targetIqn, live.Acls.Select(a => a.Initiator)))
            {
                await _runner.RunAsync(step, ct);
            }

            LogRemoved(_logger, targetIqn);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The steps that make <paramref name="live"/> match <paramref name="spec"/>. A wrong LUN, backing file or
    /// serial means the target is made again; ACL and CHAP are corrected in place.
    /// </summary>
    internal List<ProcessSpec> Plan(TargetSpec spec, LioTarget? live)
    {
        var o = _options.Value;
        if (live is null)
        {
            LogCreating(_logger, spec.TargetIqn);
            return LioCommands.Create(spec, o.PortalAddress, o.PortalPort);
        }

        var lun = live.Luns.FirstOrDefault(l => l.Lun == spec.Lun);
        if (lun is null || live.Luns.Count != 1 || lun.BackingPath != spec.BackingPath || lun.ScsiSerial != spec.ScsiSerial)
        {
            LogRecreating(_logger, spec.TargetIqn);
            return [.. LioCommands.Remove(spec.TargetIqn, live.Acls.Select(a => a.Initiator)), .. LioCommands.Create(spec, o.PortalAddress, o.PortalPort)];
        }

        var steps = new List<ProcessSpec>();
        foreach (var stray in live.Acls.Where(a => a.Initiator != spec.InitiatorIqn))
        {
            steps.Add(LioCommands.DeleteAcl(spec.TargetIqn, stray.Initiator));
        }

        var acl = live.Acls.FirstOrDefault(a => a.Initiator == spec.InitiatorIqn);
        if (acl is null)
        {
            steps.AddRange(LioCommands.Acl(spec));
        }
        else if (acl.UserId != spec.ChapUser || acl.Password != spec.ChapSecret
            || acl.MutualUserId != (spec.HasMutualChap ? spec.MutualChapUser : null)
            || acl.MutualPassword != (spec.HasMutualChap ? spec.MutualChapSecret : null))
        {
            steps.Add(LioCommands.Auth(spec));
        }

        if (steps.Count > 0)
        {
            steps.Add(LioCommands.SaveConfig());
        }

        return steps;
    }

    [LoggerMessage(EventId = StorageEventIds.LioCreating, Level = LogLevel.Information, Message = "LIO target {TargetIqn}: creating")]
    private static partial void LogCreating(ILogger logger, string targetIqn);

    [LoggerMessage(EventId = StorageEventIds.LioRecreating, Level = LogLevel.Warning, Message = "LIO target {TargetIqn}: LUN differs, making it again")]
    private static partial void LogRecreating(ILogger logger, string targetIqn);

    [LoggerMessage(EventId = StorageEventIds.LioRemoved, Level = LogLevel.Information, Message = "LIO target {TargetIqn} removed")]
    private static partial void LogRemoved(ILogger logger, string targetIqn);
}
