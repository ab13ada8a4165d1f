using System.Text.Json;
using BladeProvisioner.Core.Blades;
using BladeProvisioner.Core.Configuration;
using BladeProvisioner.Core.Lifecycle;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace BladeProvisioner.Storage.Targets.Sessions;

/// <summary>
/// Watches this node's target service for blades' iSCSI sessions: one listing per poll for all targets
/// (<see cref="TargetsOptions.SessionPollInterval"/>), compared with the sessions this node has open in the database.
/// A new session on a blade's target is recorded once (row, <c>blade.iscsi-login</c>, and a Provisioned blade whose own
/// initiator logged in becomes Active); a recorded one that is gone is closed (<c>blade.iscsi-logout</c>, and an Active
/// blade with no session left on any node is Provisioned again). Only this node's rows are compared with this node's
/// listing: a blade logs in to the portal of the node that issued its sanboot, and every node watches its own. A
/// restart of the appliance finds the open rows of the sessions that stayed and records nothing for them. A failed
/// listing (the target service not answering) changes nothing: absence is only believed from a listing that worked.
/// </summary>
internal sealed partial class SessionObserver : BackgroundService
{
    internal const string Actor = "storage";

    /// <summary>Retries after a failed poll: the first soon (tgtd starting with the appliance), then doubling.</summary>
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait between two polls while they fail.</summary>
    private static readonly TimeSpan MaxFailedWait = TimeSpan.FromSeconds(10);

    private readonly ITargetDriver _driver;
    private readonly IDbContextFactory<ApplianceDbContext> _contexts;
    private readonly IOptions<TargetsOptions> _options;
    private readonly string _node;
    private readonly TimeProvider _time;
    private readonly SessionMetrics _metrics;
    private readonly ILogger<SessionObserver> _logger;

    public SessionObserver(
        ITargetDriver driver,
        IDbContextFactory<ApplianceDbContext> contexts,
        IOptions<TargetsOptions> options,
        IOptions<ApplianceOptions> appliance,
        TimeProvider time,
        SessionMetrics metrics,
        ILogger<SessionObserver> logger)
    {
        ArgumentNullException.ThrowIfNull(appliance);
        _driver = driver;
        _contexts = contexts;
        _options = options;
        _node = appliance.Value.ResolveNodeName();
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        bool failing = false;
        var retry = FirstRetry;
        TimeSpan wait;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PollAsync(stoppingToken);
                wait = _options.Value.SessionPollInterval;
                retry = FirstRetry;
                if (failing)
                {
                    LogPollRecovered(_logger);
                    failing = false;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Whatever it was (a timed-out command included), the observer lives on: the host must not stop for it.
                // The target service or the database is away (start-up, a tgtd restart, a database outage): one warning
                // per outage, and polls further apart (doubling, at most MaxFailedWait) until one works.
                if (!failing)
                {
                    // An outage of the database or of tgtd is expected and its cause fits on one line; the stack is
                    // kept for anything else.
                    var cause = ex.GetBaseException();
                    var expected = cause is System.Data.Common.DbException or System.Net.Sockets.SocketException or TimeoutException
                        or BladeProvisioner.Platform.Processes.ProcessFailedException;
                    LogPollFailed(_logger, cause.Message, expected ? null : ex);
                    failing = true;
                }

                wait = retry;
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, MaxFailedWait.Ticks));
            }

            try
            {
                await Task.Delay(wait, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One comparison of the live sessions with this node's open rows.</summary>
    internal async Task PollAsync(CancellationToken ct)
    {
        var live = await _driver.ListAsync(ct);
        var seen = new Dictionary<string, SeenSession>(StringComparer.Ordinal);
        foreach (var target in live)
        {
            foreach (var s in target.Sessions)
            {
                var session = new SeenSession(target.Iqn, s.Id, s.InitiatorIqn, string.Join(", ", s.Addresses), s.FirstSeen);
                seen.TryAdd(session.Key, session);
            }
        }

        await using var db = await _contexts.CreateDbContextAsync(ct);
        var open = await db.IscsiSessions.AsNoTracking().Where(s => s.Node == _node && s.LoggedOutAt == null).ToListAsync(ct);
        var openKeys = open.Select(o => SeenSession.KeyOf(o.TargetIqn, o.NexusId, o.InitiatorIqn, o.Address)).ToHashSet(StringComparer.Ordinal);
        int count = open.Count;

        var fresh = seen.Values.Where(s => !openKeys.Contains(s.Key)).ToList();
        if (fresh.Count > 0)
        {
            var names = fresh.Select(f => f.TargetIqn).Distinct(StringComparer.Ordinal).ToList();
            var volumes = await db.BootVolumes.AsNoTracking()
                .Where(v => names.Contains(v.TargetIqn))
                .Select(v => new { v.Id, v.BladeId, v.TargetIqn })
                .ToDictionaryAsync(v => v.TargetIqn, StringComparer.Ordinal, ct);
            foreach (var session in fresh)
            {
                // Sessions on targets that are not a blade's (a target added by hand) are not the appliance's to record.
                if (volumes.TryGetValue(session.TargetIqn, out var volume) && await RecordLoginAsync(session, volume.BladeId, volume.Id, ct))
                {
                    count++;
                }
            }
        }

        foreach (var row in open.Where(o => !seen.ContainsKey(SeenSession.KeyOf(o.TargetIqn, o.NexusId, o.InitiatorIqn, o.Address))))
        {
            if (await RecordLogoutAsync(row.Id, ct))
            {
                count--;
            }
        }

        _metrics.Sessions = count;
    }

    private async Task<bool> RecordLoginAsync(SeenSession session, long bladeId, long volumeId, CancellationToken ct)
    {
        await using var db = await _contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);

        // The blade row is locked so the state change is ordered with the API's and the jobs' changes of the blade.
        var blade = await db.Blades.FromSql($"SELECT *, xmin FROM blades WHERE id = {bladeId} FOR UPDATE").SingleOrDefaultAsync(ct);
        if (blade is null)
        {
            return false;
        }

        var summary = $"iSCSI login from {session.InitiatorIqn} at {Display(session.Address)}";
        db.IscsiSessions.Add(new IscsiSession
        {
            Node = _node,
            TargetIqn = session.TargetIqn,
            NexusId = session.NexusId,
            InitiatorIqn = session.InitiatorIqn,
            Address = session.Address,
            BladeId = bladeId,
            BootVolumeId = volumeId,
            LoggedInAt = session.FirstSeen,
        });
        db.Events.Add(SessionEvent(BladeBootReader.IscsiLogin, summary, session.FirstSeen, session, bladeId, volumeId));

        bool own = string.Equals(session.InitiatorIqn, blade.InitiatorIqn, StringComparison.Ordinal);
        if (own && blade.State == BladeState.Provisioned)
        {
            db.Events.Add(BladeStateMachine.Transition(blade, BladeState.Active, Actor, summary, _time.GetUtcNow()));
        }

        try
        {
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Another process with this node's name recorded it first (a misconfigured cluster): recorded once anyway.
            return false;
        }

        SessionMetrics.Logins.Add(1);
        LogLogin(_logger, bladeId, session.TargetIqn, session.InitiatorIqn, session.Address, session.NexusId);
        return true;
    }

    private async Task<bool> RecordLogoutAsync(long rowId, CancellationToken ct)
    {
        await using var db = await _contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var row = await db.IscsiSessions.SingleOrDefaultAsync(s => s.Id == rowId && s.LoggedOutAt == null, ct);
        if (row is null)
        {
            return false;
        }

        var blade = await db.Blades.FromSql($"SELECT *, xmin FROM blades WHERE id = {row.BladeId} FOR UPDATE").SingleOrDefaultAsync(ct);
        var now = _time.GetUtcNow();
        row.LoggedOutAt = now;
        var session = new SeenSession(row.TargetIqn, row.NexusId, row.InitiatorIqn, row.Address, row.LoggedInAt);
        var summary = $"iSCSI logout of {row.InitiatorIqn} at {Display(row.Address)} (session since {row.LoggedInAt:yyyy-MM-dd HH:mm:ss} UTC)";
        db.Events.Add(SessionEvent(BladeBootReader.IscsiLogout, summary, now, session, row.BladeId, row.BootVolumeId));

        // Active means the OS holds its disk: with no session of the blade left on any node, it is Provisioned again
        // (it boots from its LUN at its next start, and is Active again when that login is seen).
        if (blade is { State: BladeState.Active }
            && !await db.IscsiSessions.AnyAsync(s => s.BladeId == blade.Id && s.LoggedOutAt == null && s.Id != row.Id, ct))
        {
            db.Events.Add(BladeStateMachine.Transition(blade, BladeState.Provisioned, Actor, "no iSCSI session on its target any more", now));
        }

        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        SessionMetrics.Logouts.Add(1);
        LogLogout(_logger, row.BladeId, row.TargetIqn, row.InitiatorIqn, row.Address, row.NexusId);
        return true;
    }

    private Event SessionEvent(string kind, string summary, DateTimeOffset at, SeenSession session, long bladeId, long? volumeId) => new()
    {
        At = at,
        Actor = Actor,
        Kind = kind,
        Summary = summary,
        Details = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["target"] = session.TargetIqn,
            ["initiator"] = session.InitiatorIqn,
            ["address"] = session.Address,
            ["nexus"] = session.NexusId,
            ["node"] = _node,
            ["session"] = $"{_node}/{session.TargetIqn}/{session.NexusId}",
        }),
        BladeId = bladeId,
        BootVolumeId = volumeId,
    };

    private static string Display(string address) => address.Length == 0 ? "an address the target service did not report" : address;

    [LoggerMessage(EventId = StorageEventIds.SessionLogin, Level = LogLevel.Information,
        Message = "Blade {BladeId}: iSCSI login on {TargetIqn} from {InitiatorIqn} at {Address} (session {NexusId})")]
    private static partial void LogLogin(ILogger logger, long bladeId, string targetIqn, string initiatorIqn, string address, string nexusId);

    [LoggerMessage(EventId = StorageEventIds.SessionLogout, Level = LogLevel.Information,
        Message = "Blade {BladeId}: iSCSI session on {TargetIqn} from {InitiatorIqn} at {Address} (session {NexusId}) is gone")]
    private static partial void LogLogout(ILogger logger, long bladeId, string targetIqn, string initiatorIqn, string address, string nexusId);

    [LoggerMessage(EventId = StorageEventIds.SessionPollFailed, Level = LogLevel.Warning, Message = "iSCSI sessions could not be read or recorded ({Cause}); trying again")]
    private static partial void LogPollFailed(ILogger logger, string cause, Exception? exception);

    [LoggerMessage(EventId = StorageEventIds.SessionPollRecovered, Level = LogLevel.Information, Message = "iSCSI sessions are read again")]
    private static partial void LogPollRecovered(ILogger logger);
}
