using System.Diagnostics;
using System.Globalization;
using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Storage.Targets.Tgt.Ipc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Storage.Targets.Reconciler;

/// <summary>
/// Makes the live targets match the database. A target is ensured when it is missing, when it visibly differs,
/// or when this process has not yet ensured exactly this spec: secrets cannot be read back from the target
/// service, so the first pass after start (and any change of a spec in the database) re-asserts everything.
/// One target's failure does not stop the others.
/// </summary>
public sealed partial class TargetReconciler(
    ITargetDriver driver,
    IDesiredTargetSource source,
    IOptions<TargetsOptions> options,
    ILogger<TargetReconciler> logger,
    TargetChangeLock? changes = null)
{
    private readonly SecretLedger _ensured = new();
    private readonly TargetChangeLock _changes = changes ?? new TargetChangeLock();

    /// <summary>One pass, holding the node's <see cref="TargetChangeLock"/> from reading the database to the last change.</summary>
    public async Task<ReconcileReport> ReconcileAsync(CancellationToken ct)
    {
        using (await _changes.AcquireAsync(ct))
        {
            return await PassAsync(ct);
        }
    }

    private async Task<ReconcileReport> PassAsync(CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var desired = await source.GetDesiredAsync(ct);
        var live = (await driver.ListAsync(ct)).ToDictionary(t => t.Iqn, StringComparer.Ordinal);
        var missing = new List<string>();
        var changed = new List<TargetDriftItem>();
        var failed = new List<TargetDriftItem>();
        var desiredNames = new HashSet<string>(StringComparer.Ordinal);
        int inSync = 0;

        foreach (var spec in desired)
        {
            desiredNames.Add(spec.TargetIqn);
            List<string> diffs;
            if (!live.TryGetValue(spec.TargetIqn, out var current))
            {
                missing.Add(spec.TargetIqn);
                diffs = ["target missing"];
            }
            else
            {
                diffs = TargetDrift.Describe(spec, current);
                if (diffs.Count > 0)
                {
                    changed.Add(new TargetDriftItem(spec.TargetIqn, diffs));
                }
            }

            var fingerprint = Fingerprint(spec);
            if (diffs.Count == 0 && _ensured.Matches(spec.TargetIqn, fingerprint))
            {
                inSync++;
                continue;
            }

            if (diffs.Count > 0)
            {
                LogDrift(logger, spec.TargetIqn, string.Join("; ", diffs));
            }

            try
            {
                await driver.EnsureTargetAsync(spec, ct);
                _ensured.Record(spec.TargetIqn, fingerprint);
                if (diffs.Count == 0)
                {
                    inSync++;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _ensured.Forget(spec.TargetIqn);
                failed.Add(new TargetDriftItem(spec.TargetIqn, [ex.Message]));
                LogEnsureFailed(logger, spec.TargetIqn, ex);
            }
        }

        var (unknown, removed) = await HandleUnknownAsync(live.Values, desiredNames, failed, ct);
        sw.Stop();
        var report = new ReconcileReport(missing, changed, unknown, removed, failed, inSync, sw.Elapsed);
        Record(report);
        return report;
    }

    private async Task<(List<string> Unknown, List<string> Removed)> HandleUnknownAsync(
        IEnumerable<LiveTarget> live, HashSet<string> desired, List<TargetDriftItem> failed, CancellationToken ct)
    {
        var unknown = new List<string>();
        var removed = new List<string>();
        var o = options.Value;
        foreach (var target in live.Where(t => !desired.Contains(t.Iqn)))
        {
            bool ours = !string.IsNullOrEmpty(o.ManagedIqnPrefix)
                && target.Iqn.StartsWith(o.ManagedIqnPrefix, StringComparison.Ordinal);
            if (!o.RemoveUnknown || !ours)
            {
                unknown.Add(target.Iqn);
                LogUnknown(logger, target.Iqn);
                continue;
            }

            try
            {
                await driver.RemoveTargetAsync(target.Iqn, ct);
                removed.Add(target.Iqn);
                LogRemovedUnknown(logger, target.Iqn);
            }
            catch (Exception ex) when (ex is ProcessFailedException or TgtIpcException)
            {
                failed.Add(new TargetDriftItem(target.Iqn, [ex.Message]));
                LogEnsureFailed(logger, target.Iqn, ex);
            }
        }

        return (unknown, removed);
    }

    private void Record(ReconcileReport report)
    {
        TargetMetrics.Passes.Add(1);
        TargetMetrics.Duration.Record(report.Elapsed.TotalSeconds);
        TargetMetrics.Drift.Add(report.Missing.Count, new KeyValuePair<string, object?>("kind", "missing"));
        TargetMetrics.Drift.Add(report.Changed.Count, new KeyValuePair<string, object?>("kind", "changed"));
        TargetMetrics.Drift.Add(report.Unknown.Count, new KeyValuePair<string, object?>("kind", "unknown"));
        TargetMetrics.Drift.Add(report.Removed.Count, new KeyValuePair<string, object?>("kind", "removed"));
        TargetMetrics.Failures.Add(report.Failed.Count);
        LogPass(
            logger, report.InSync, report.Missing.Count, report.Changed.Count, report.Unknown.Count,
            report.Removed.Count, report.Failed.Count, report.Elapsed.TotalMilliseconds);
    }

    /// <summary>Everything the target must carry, secrets included; only ever hashed, never stored or logged.</summary>
    private static string Fingerprint(TargetSpec s) => string.Join(
        '\n',
        s.TargetIqn, s.Lun.ToString(CultureInfo.InvariantCulture), s.BackingPath, s.ScsiSerial, s.Wwn, s.InitiatorIqn,
        s.ChapUser, s.ChapSecret, s.MutualChapUser ?? string.Empty, s.MutualChapSecret ?? string.Empty);

    [LoggerMessage(EventId = StorageEventIds.ReconcileDrift, Level = LogLevel.Warning, Message = "Target {TargetIqn} drifted: {Differences}")]
    private static partial void LogDrift(ILogger logger, string targetIqn, string differences);

    [LoggerMessage(EventId = StorageEventIds.ReconcileEnsureFailed, Level = LogLevel.Error, Message = "Target {TargetIqn} could not be reconciled")]
    private static partial void LogEnsureFailed(ILogger logger, string targetIqn, Exception exception);

    [LoggerMessage(EventId = StorageEventIds.ReconcileUnknown, Level = LogLevel.Warning, Message = "Target {TargetIqn} is live but not in the database; left alone")]
    private static partial void LogUnknown(ILogger logger, string targetIqn);

    [LoggerMessage(EventId = StorageEventIds.ReconcileRemovedUnknown, Level = LogLevel.Warning, Message = "Target {TargetIqn} was not in the database and was removed")]
    private static partial void LogRemovedUnknown(ILogger logger, string targetIqn);

    [LoggerMessage(EventId = StorageEventIds.ReconcilePass, Level = LogLevel.Information,
        Message = "Targets reconciled: {InSync} in sync, {Missing} missing, {Changed} changed, {Unknown} unknown, {Removed} removed, {Failed} failed in {ElapsedMs:F0} ms")]
    private static partial void LogPass(
        ILogger logger, int inSync, int missing, int changed, int unknown, int removed, int failed, double elapsedMs);
}
