using System.Globalization;

namespace BladeProvisioner.Storage.Targets.Tgt;

/// <summary>
/// Reads <c>tgtadm --op show --mode target</c> (tgt 1.0.x). Line oriented and forgiving: unknown lines are
/// skipped, so a newer tgt adding fields does not break listing. Returns false only when a line that must carry a
/// number does not.
/// </summary>
internal static class TgtShowParser
{
    private enum Section
    {
        None,
        System,
        Nexus,
        Luns,
        Accounts,
        Acl,
    }

    /// <summary>A session as tgt lists it; the driver adds the first-seen time.</summary>
    internal sealed record Nexus(string Id, string Initiator, List<string> Addresses);

    internal sealed class Target(int tid, string iqn)
    {
        public int Tid { get; } = tid;
        public string Iqn { get; } = iqn;
        public List<LiveLun> Luns { get; } = [];
        public List<string> Acl { get; } = [];
        public List<string> Incoming { get; } = [];
        public List<string> Outgoing { get; } = [];
        public List<Nexus> Sessions { get; } = [];
    }

    private sealed class LunBuilder(int lun)
    {
        public int Lun { get; } = lun;
        public string? Type { get; set; }
        public string? Path { get; set; }
        public string? Serial { get; set; }
        public string? ScsiId { get; set; }
        public long Size { get; set; }

        public LiveLun Build()
        {
            bool controller = string.Equals(Type, "controller", StringComparison.Ordinal);
            string? path = Path is null or "None" ? null : Path;
            return new LiveLun(Lun, path, Serial, controller ? null : ScsiId, Size, controller);
        }
    }

    public static bool TryParse(string text, out List<Target> targets)
    {
        targets = [];
        Target? target = null;
        LunBuilder? lun = null;
        Nexus? nexus = null;
        var section = Section.None;

        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            var line = raw.TrimEnd();
            var body = line.TrimStart();
            if (body.IsEmpty)
            {
                continue;
            }

            int indent = line.Length - body.Length;
            if (indent == 0)
            {
                FlushLun(target, ref lun);
                nexus = null;
                section = Section.None;
                if (!TryTargetHeader(body, out var created))
                {
                    target = null;
                    continue;
                }

                target = created;
                targets.Add(target);
                continue;
            }

            if (target is null)
            {
                continue;
            }

            if (indent == 4)
            {
                FlushLun(target, ref lun);
                nexus = null;
                section = body switch
                {
                    "System information:" => Section.System,
                    "I_T nexus information:" => Section.Nexus,
                    "LUN information:" => Section.Luns,
                    "Account information:" => Section.Accounts,
                    "ACL information:" => Section.Acl,
                    _ => Section.None,
                };
                continue;
            }

            switch (section)
            {
                case Section.Luns:
                    if (!TryLunLine(target, body, ref lun))
                    {
                        return false;
                    }

                    break;
                case Section.Nexus:
                    NexusLine(target, body, ref nexus);
                    break;
                case Section.Accounts:
                    const string OutgoingMark = " (outgoing)";
                    if (body.EndsWith(OutgoingMark, StringComparison.Ordinal))
                    {
                        target.Outgoing.Add(body[..^OutgoingMark.Length].ToString());
                    }
                    else
                    {
                        target.Incoming.Add(body.ToString());
                    }

                    break;
                case Section.Acl:
                    target.Acl.Add(body.ToString());
                    break;
                default:
                    break;
            }
        }

        FlushLun(target, ref lun);
        return true;
    }

    /// <summary>Reads <c>tgtadm --op show --mode account</c>: "Account list:" then one user per line.</summary>
    public static List<string> ParseAccounts(string text)
    {
        var users = new List<string>();
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            var line = raw.Trim();
            if (!line.IsEmpty && raw.Length > 0 && raw[0] == ' ')
            {
                users.Add(line.ToString());
            }
        }

        return users;
    }

    // "Target 1: iqn.2026-01.example:blade.1"
    private static bool TryTargetHeader(ReadOnlySpan<char> body, out Target target)
    {
        target = null!;
        const string Prefix = "Target ";
        if (!body.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = body[Prefix.Length..];
        int colon = rest.IndexOf(':');
        if (colon <= 0 || !int.TryParse(rest[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out var tid))
        {
            return false;
        }

        target = new Target(tid, rest[(colon + 1)..].Trim().ToString());
        return true;
    }

    private static bool TryLunLine(Target target, ReadOnlySpan<char> body, ref LunBuilder? lun)
    {
        if (TryValue(body, "LUN:", out var number))
        {
            FlushLun(target, ref lun);
            if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return false;
            }

            lun = new LunBuilder(n);
            return true;
        }

        if (lun is null)
        {
            return true;
        }

        if (TryValue(body, "Type:", out var v))
        {
            lun.Type = v.ToString();
        }
        else if (TryValue(body, "SCSI ID:", out v))
        {
            lun.ScsiId = v.ToString();
        }
        else if (TryValue(body, "SCSI SN:", out v))
        {
            lun.Serial = v.ToString();
        }
        else if (TryValue(body, "Backing store path:", out v))
        {
            lun.Path = v.ToString();
        }
        else if (TryValue(body, "Size:", out v))
        {
            // "Size: 4 MB, Block size: 512" — tgt rounds to MB; kept for display only.
            int space = v.IndexOf(' ');
            if (space > 0 && long.TryParse(v[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var mb))
            {
                lun.Size = mb * 1000 * 1000;
            }
        }

        return true;
    }

    private static void NexusLine(Target target, ReadOnlySpan<char> body, ref Nexus? nexus)
    {
        if (TryValue(body, "I_T nexus:", out var id))
        {
            nexus = new Nexus(id.ToString(), string.Empty, []);
            target.Sessions.Add(nexus);
        }
        else if (nexus is not null && TryValue(body, "Initiator:", out var initiator))
        {
            // "Initiator: iqn.… alias: none"
            int alias = initiator.IndexOf(" alias:", StringComparison.Ordinal);
            var name = (alias >= 0 ? initiator[..alias] : initiator).Trim().ToString();
            nexus = nexus with { Initiator = name };
            target.Sessions[^1] = nexus;
        }
        else if (nexus is not null && TryValue(body, "IP Address:", out var address))
        {
            nexus.Addresses.Add(address.ToString());
        }
    }

    private static void FlushLun(Target? target, ref LunBuilder? lun)
    {
        if (target is not null && lun is not null)
        {
            target.Luns.Add(lun.Build());
        }

        lun = null;
    }

    private static bool TryValue(ReadOnlySpan<char> body, string key, out ReadOnlySpan<char> value)
    {
        if (body.StartsWith(key, StringComparison.Ordinal))
        {
            value = body[key.Length..].Trim();
            return true;
        }

        value = default;
        return false;
    }
}
