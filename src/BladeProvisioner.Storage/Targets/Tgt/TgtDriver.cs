using System.Collections.Concurrent;
using BladeProvisioner.Core.Naming;
using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Storage.Targets.Tgt.Ipc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Storage.Targets.Tgt;

/// <summary>
/// Drives tgtd with tgtadm, and CHAP accounts over tgtd's management socket so no password is ever on a command line.
/// One lock serialises changes so concurrent ensures never race for a tid; tids are the
/// first free number, so ensuring in the database's order after a tgtd restart gives the same numbering.
/// </summary>
public sealed partial class TgtDriver : ITargetDriver
{
    /// <summary>Placeholder accounts that keep CHAP enforced while a secret is being replaced.</summary>
    internal const string LockAccountPrefix = "bp-lock-";

    private readonly TgtAdmin _admin;
    private readonly ILogger<TgtDriver> _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SecretLedger _secrets = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _sessionFirstSeen = new(StringComparer.Ordinal);

    public TgtDriver(IProcessRunner runner, IOptions<TargetsOptions> options, ILogger<TgtDriver> logger, TimeProvider? time = null)
        : this(runner, new TgtIpcClient(TgtIpcClient.SocketPathFor(options?.Value.ControlPort)), options!, logger, time)
    {
    }

    internal TgtDriver(IProcessRunner runner, ITgtIpc ipc, IOptions<TargetsOptions> options, ILogger<TgtDriver> logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _admin = new TgtAdmin(runner, ipc, options.Value.NetworkNamespace, options.Value.ControlPort);
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    public async Task<bool> IsRunningAsync(CancellationToken ct)
    {
        var result = await _admin.TryRunAsync(ct, "--op", "show", "--mode", "sys");
        return result.ExitCode == 0;
    }

    public async Task<IReadOnlyList<LiveTarget>> ListAsync(CancellationToken ct)
    {
        var parsed = await ReadTargetsAsync(ct);
        var now = _time.GetUtcNow();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<LiveTarget>(parsed.Count);
        foreach (var t in parsed)
        {
            var sessions = new List<LiveSession>(t.Sessions.Count);
            foreach (var s in t.Sessions)
            {
                var key = $"{t.Tid}/{s.Id}/{s.Initiator}";
                seen.Add(key);
                sessions.Add(new LiveSession(s.Id, s.Initiator, s.Addresses, _sessionFirstSeen.GetOrAdd(key, now)));
            }

            list.Add(new LiveTarget(t.Tid, t.Iqn, t.Luns, t.Acl, t.Incoming, t.Outgoing, sessions));
        }

        foreach (var key in _sessionFirstSeen.Keys)
        {
            if (!seen.Contains(key))
            {
                _sessionFirstSeen.TryRemove(key, out _);
            }
        }

        return list;
    }

    public async Task EnsureTargetAsync(TargetSpec spec, CancellationToken ct)
    {
        Validate(spec);
        await _gate.WaitAsync(ct);
        try
        {
            var targets = await ReadTargetsAsync(ct);
            var accounts = TgtShowParser.ParseAccounts(await _admin.ShowAccountsAsync(ct)).ToHashSet(StringComparer.Ordinal);
            var target = targets.FirstOrDefault(t => string.Equals(t.Iqn, spec.TargetIqn, StringComparison.Ordinal));
            int tid;
            if (target is null)
            {
                tid = FirstFreeTid(targets);
                await _admin.RunAsync(ct, "--op", "new", "--mode", "target", "--tid", TgtAdmin.Tid(tid), "--targetname", spec.TargetIqn);
                LogTargetCreated(_logger, spec.TargetIqn, tid);
                target = new TgtShowParser.Target(tid, spec.TargetIqn);
            }
            else
            {
                tid = target.Tid;
            }

            // Order matters for a new target: without an ACL tgt admits nobody, so LUN identity and CHAP are in
            // place before the one initiator is let in.
            await EnsureLunsAsync(target, spec, ct);
            await EnsureChapAsync(target, accounts, spec.ChapUser, spec.ChapSecret, outgoing: false, ct);
            await EnsureChapAsync(
                target, accounts, spec.HasMutualChap ? spec.MutualChapUser : null, spec.MutualChapSecret, outgoing: true, ct);
            await EnsureAclAsync(target, spec, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task RemoveTargetAsync(string targetIqn, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetIqn);
        await _gate.WaitAsync(ct);
        try
        {
            var target = (await ReadTargetsAsync(ct)).FirstOrDefault(t => string.Equals(t.Iqn, targetIqn, StringComparison.Ordinal));
            if (target is null)
            {
                return;
            }

            var tid = TgtAdmin.Tid(target.Tid);
            foreach (var entry in target.Acl)
            {
                await _admin.RunAsync(ct, "--op", "unbind", "--mode", "target", "--tid", tid, TgtAdmin.AclOption(entry), entry);
            }

            foreach (var user in target.Incoming.Concat(target.Outgoing))
            {
                await _admin.DeleteAccountAsync(user, ct);
                _secrets.Forget(user);
            }

            await DeleteTargetForcedAsync(tid, ct);
            LogTargetRemoved(_logger, targetIqn, target.Tid, target.Sessions.Count);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// --force closes the sessions, but tgt refuses while their commands are still in flight ("this logical unit
    /// is still active"); those drain within moments, so the delete is repeated briefly.
    /// </summary>
    private async Task DeleteTargetForcedAsync(string tid, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            var result = await _admin.TryRunAsync(ct, "--op", "delete", "--mode", "target", "--tid", tid, "--force");
            if (result.ExitCode == 0)
            {
                return;
            }

            if (attempt >= 50 || !result.StandardError.Contains("still active", StringComparison.Ordinal))
            {
                throw new ProcessFailedException(
                    $"tgtadm --op delete --mode target --tid {tid} --force", result.ExitCode, result.StandardError, timedOut: false);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), _time, ct);
        }
    }

    internal static int FirstFreeTid(IEnumerable<TgtShowParser.Target> targets)
    {
        var used = targets.Select(t => t.Tid).ToHashSet();
        int tid = 1;
        while (used.Contains(tid))
        {
            tid++;
        }

        return tid;
    }

    private static void Validate(TargetSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!Iqn.IsValid(spec.TargetIqn) || !Iqn.IsValid(spec.InitiatorIqn))
        {
            throw new ArgumentException($"Target '{spec.TargetIqn}' or initiator '{spec.InitiatorIqn}' is not a valid IQN.", nameof(spec));
        }

        // LUN 0 is tgt's controller LUN.
        if (spec.AllLuns.Any(l => l.Lun is < 1 or > 255) || spec.AllLuns.Select(l => l.Lun).Distinct().Count() != spec.ExtraLuns.Count + 1)
        {
            throw new ArgumentException($"LUNs of '{spec.TargetIqn}' must be distinct and 1..255 (LUN 0 is tgt's controller).", nameof(spec));
        }

        if (string.IsNullOrEmpty(spec.ChapUser) || string.IsNullOrEmpty(spec.ChapSecret))
        {
            throw new ArgumentException($"Target '{spec.TargetIqn}' needs a CHAP user and secret.", nameof(spec));
        }

        foreach (var lun in spec.AllLuns)
        {
            if (!ScsiIdentity.IsValidWwn(lun.Wwn) || string.IsNullOrEmpty(lun.ScsiSerial) || lun.ScsiSerial.Length > 36
                || !lun.ScsiSerial.All(char.IsAsciiLetterOrDigit))
            {
                throw new ArgumentException($"LUN {lun.Lun} of '{spec.TargetIqn}' needs an NAA-6 WWN and a serial of at most 36 letters/digits.", nameof(spec));
            }

            if (!File.Exists(lun.BackingPath))
            {
                throw new FileNotFoundException($"Backing file of '{spec.TargetIqn}' LUN {lun.Lun} does not exist.", lun.BackingPath);
            }
        }
    }

    private async Task<List<TgtShowParser.Target>> ReadTargetsAsync(CancellationToken ct)
    {
        var result = await _admin.ShowTargetsAsync(ct);
        if (!TgtShowParser.TryParse(result.StandardOutput, out var targets))
        {
            LogUnreadableShow(_logger);
            throw new InvalidOperationException("tgtadm --op show --mode target printed a listing this driver cannot read.");
        }

        return targets;
    }
}
