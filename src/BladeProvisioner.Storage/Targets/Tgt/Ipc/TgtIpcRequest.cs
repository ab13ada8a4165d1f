using System.Text;

namespace BladeProvisioner.Storage.Targets.Tgt.Ipc;

/// <summary><c>enum tgtadm_mode</c> (tgt 1.0.85 usr/tgtadm.h).</summary>
internal enum TgtIpcMode
{
    System = 0,
    Target,
    Device,
    Portal,
    Lld,
    Session,
    Connection,
    Account,
}

/// <summary><c>enum tgtadm_op</c> (tgt 1.0.85 usr/tgtadm.h).</summary>
internal enum TgtIpcOp
{
    New = 0,
    Delete,
    Show,
    Bind,
    Unbind,
    Update,
    Stats,
    Start,
    Stop,
}

/// <summary>
/// One management request as tgtadm would send it: header fields plus the <c>key=value,…</c> body. A password goes
/// last (tgtd's account parser wants <c>user=…,password=…</c> in that order) and is never part of <see cref="Display"/>
/// (which is also the record's ToString).
/// </summary>
internal sealed record TgtIpcRequest(TgtIpcMode Mode, TgtIpcOp Op)
{

    /// <summary>tgtadm's default when no <c>--tid</c> is given.</summary>
    public int Tid { get; init; } = -1;

    /// <summary>tgtadm's default when no <c>--lun</c> is given.</summary>
    public ulong Lun { get; init; } = ulong.MaxValue;

    /// <summary><c>ac_dir</c>: the target's own (mutual CHAP) account rather than the initiator's.</summary>
    public bool Outgoing { get; init; }

    public bool Force { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; } = [];

    /// <summary>Sent as <c>password=…</c> after the parameters; kept out of every text form.</summary>
    public string? Password { get; init; }

    public static TgtIpcRequest Account(TgtIpcOp op, string user) =>
        new(TgtIpcMode.Account, op) { Parameters = [new("user", user)] };

    /// <summary>As a log or error would name it, e.g. <c>account bind tid=3 user=bp-blade-1 outgoing</c>.</summary>
    public string Display()
    {
        var sb = new StringBuilder();
        sb.Append(Mode.ToString().ToLowerInvariant()).Append(' ').Append(Op.ToString().ToLowerInvariant());
        if (Tid >= 0)
        {
            sb.Append(" tid=").Append(Tid);
        }

        if (Lun != ulong.MaxValue)
        {
            sb.Append(" lun=").Append(Lun);
        }

        foreach (var (key, value) in Parameters)
        {
            sb.Append(' ').Append(key).Append('=').Append(value);
        }

        if (Password is not null)
        {
            sb.Append(" password=***");
        }

        if (Outgoing)
        {
            sb.Append(" outgoing");
        }

        if (Force)
        {
            sb.Append(" force");
        }

        return sb.ToString();
    }

    public override string ToString() => Display();
}
