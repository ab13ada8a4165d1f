using System.Globalization;
using BladeProvisioner.Platform.Processes;

namespace BladeProvisioner.Storage.Targets.Lio;

/// <summary>
/// targetcli command sequences for LIO, one targetcli call per step so a failure names its step. Passwords sit in
/// their own arguments, which are redacted from logs and errors.
/// </summary>
internal static class LioCommands
{
    public const string Program = "targetcli";
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The fileio backstore name for a target: the IQN's unique part, made safe (e.g. <c>bp_blade_17</c>).</summary>
    public static string BackstoreName(string targetIqn)
    {
        var colon = targetIqn.LastIndexOf(':');
        var unique = colon >= 0 ? targetIqn[(colon + 1)..] : targetIqn;
        return "bp_" + new string([.. unique.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);
    }

    public static string TpgPath(string targetIqn) => $"/iscsi/{targetIqn}/tpg1";

    public static List<ProcessSpec> Create(TargetSpec spec, string portalAddress, int portalPort)
    {
        var tpg = TpgPath(spec.TargetIqn);
        var bs = BackstoreName(spec.TargetIqn);
        var lun = Num(spec.Lun);
        var steps = new List<ProcessSpec>
        {
            // LIO derives the VPD 0x83 NAA identifier from the unit serial; it cannot be set on its own.
            Step("/backstores/fileio", "create", $"name={bs}", $"file_or_dev={spec.BackingPath}", $"wwn={spec.ScsiSerial}"),
            Step("/iscsi", "create", spec.TargetIqn),
        };
        if (portalAddress != "0.0.0.0" || portalPort != 3260)
        {
            steps.Add(Step($"{tpg}/portals", "delete", "0.0.0.0", "3260") with { AcceptedExitCodes = new HashSet<int> { 1 } });
            steps.Add(Step($"{tpg}/portals", "create", portalAddress, Num(portalPort)));
        }

        steps.Add(Step($"{tpg}/luns", "create", $"/backstores/fileio/{bs}", $"lun={lun}", "add_mapped_luns=false"));
        steps.AddRange(Acl(spec));
        steps.Add(Step(tpg, "set", "attribute", "authentication=1", "generate_node_acls=0", "demo_mode_write_protect=1"));
        steps.Add(SaveConfig());
        return steps;
    }

    /// <summary>The blade's ACL, its mapped LUN and its CHAP (LIO keeps CHAP per ACL).</summary>
    public static List<ProcessSpec> Acl(TargetSpec spec)
    {
        var tpg = TpgPath(spec.TargetIqn);
        var lun = Num(spec.Lun);
        return
        [
            Step($"{tpg}/acls", "create", spec.InitiatorIqn, "add_mapped_luns=false"),
            Step($"{tpg}/acls/{spec.InitiatorIqn}", "create", $"mapped_lun={lun}", $"tpg_lun_or_backstore={lun}"),
            Auth(spec),
        ];
    }

    public static ProcessSpec Auth(TargetSpec spec)
    {
        var args = new List<string>
        {
            $"{TpgPath(spec.TargetIqn)}/acls/{spec.InitiatorIqn}", "set", "auth",
            $"userid={spec.ChapUser}", $"password={spec.ChapSecret}",
        };
        var redact = new HashSet<int> { 4 };
        if (spec.HasMutualChap)
        {
            args.Add($"mutual_userid={spec.MutualChapUser}");
            args.Add($"mutual_password={spec.MutualChapSecret}");
            redact.Add(6);
        }

        return new ProcessSpec(Program, args) { RedactArguments = redact, Timeout = StepTimeout };
    }

    public static ProcessSpec DeleteAcl(string targetIqn, string initiator) => Step($"{TpgPath(targetIqn)}/acls", "delete", initiator);

    /// <summary>ACLs first (no new logins; CHAP goes with them), then the target with its sessions, then the backstore.</summary>
    public static List<ProcessSpec> Remove(string targetIqn, IEnumerable<string> acls)
    {
        var steps = acls.Select(a => DeleteAcl(targetIqn, a)).ToList();
        steps.Add(Step("/iscsi", "delete", targetIqn));
        steps.Add(Step("/backstores/fileio", "delete", BackstoreName(targetIqn)));
        steps.Add(SaveConfig());
        return steps;
    }

    public static ProcessSpec SaveConfig() => Step("saveconfig");

    private static ProcessSpec Step(params string[] args) => new(Program, args) { Timeout = StepTimeout };

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);
}
