using System.Text.RegularExpressions;

namespace BladeProvisioner.Storage.Images.Initramfs;

/// <summary>
/// Whether an initramfs can take over the iSCSI session iPXE opened (the iBFT path), judged from its file list and the
/// few files it sources: initramfs-tools with open-iscsi's hook and <c>ISCSI_AUTO=true</c>, dracut with its
/// <c>iscsi</c> module told to use the firmware table (<c>rd.iscsi.firmware=1</c>), or any other init that runs
/// <c>iscsistart</c>.
/// </summary>
internal static partial class IscsiVerdict
{
    [GeneratedRegex(@"^\s*(export\s+)?ISCSI_AUTO=[""']?true[""']?\s*$", RegexOptions.Multiline)]
    private static partial Regex IscsiAuto();

    [GeneratedRegex(@"\brd\.iscsi\.(firmware|ibft)(=1)?(\s|$)")]
    private static partial Regex FirmwareFlag();

    public static string Flavour(InitramfsContents c) =>
        c.Has("usr/lib/dracut-lib.sh") || c.Paths.Any(p => p.StartsWith("usr/lib/dracut/", StringComparison.Ordinal)) ? "dracut"
        : c.Has("conf/initramfs.conf") || c.Has("scripts/functions") ? "initramfs-tools"
        : "custom";

    /// <summary>True when <paramref name="text"/> (a kernel command line or dracut cmdline.d file) asks dracut to use the iBFT.</summary>
    public static bool HasFirmwareFlag(string text) => FirmwareFlag().IsMatch(text);

    /// <summary>Level and message of the iscsi-boot finding for one initramfs; <paramref name="cmdline"/> is every kernel command line found.</summary>
    public static (string Level, string Message) Judge(InitramfsContents c, string name, string cmdline)
    {
        var iscsistart = c.Has("sbin/iscsistart") || c.Has("usr/sbin/iscsistart");
        switch (Flavour(c))
        {
            case "initramfs-tools":
                {
                    var missing = new List<string>();
                    if (!iscsistart)
                    {
                        missing.Add("iscsistart");
                    }

                    if (!c.Has("scripts/local-top/iscsi"))
                    {
                        missing.Add("open-iscsi's scripts/local-top/iscsi");
                    }

                    var sourced = new[] { c.Text("etc/iscsi.initramfs"), c.Text("etc/iscsi/iscsi.initramfs") }
                        .Concat(c.TextsUnder("conf/conf.d/").Select(t => t.Value));
                    if (!sourced.Any(t => t is not null && IscsiAuto().IsMatch(t)))
                    {
                        missing.Add("ISCSI_AUTO=true");
                    }

                    return missing.Count == 0
                        ? (PreflightFinding.Ok, $"{name}: initramfs-tools with open-iscsi and ISCSI_AUTO=true: logs in from the iBFT.")
                        : (PreflightFinding.Warning, $"{name}: initramfs-tools without {string.Join(", ", missing)}: a blade cannot log in to its LUN from the iBFT. "
                            + "On the donor: apt install open-iscsi, put ISCSI_AUTO=true in /etc/iscsi/iscsi.initramfs, run update-initramfs -u, capture again.");
                }

            case "dracut":
                {
                    var module = c.Paths.Any(p => p.StartsWith("usr/lib/dracut/hooks/", StringComparison.Ordinal) && p.Contains("iscsi", StringComparison.Ordinal))
                        && (c.Has("sbin/iscsiroot") || c.Has("usr/sbin/iscsiroot"));
                    var initiator = iscsistart || c.Has("usr/sbin/iscsiadm") || c.Has("sbin/iscsiadm");
                    if (!module || !initiator)
                    {
                        return (PreflightFinding.Warning, $"{name}: dracut without its iscsi module{(initiator ? string.Empty : " and without iscsistart/iscsiadm")}: a blade cannot log in to its LUN. "
                            + "On the donor: install iscsi-initiator-utils/open-iscsi, dracut --add iscsi -f (or add_dracutmodules+=\" iscsi \"), and rd.iscsi.firmware=1 on the kernel command line.");
                    }

                    var flag = HasFirmwareFlag(cmdline) || c.TextsUnder("etc/cmdline.d/").Any(t => HasFirmwareFlag(t.Value));
                    return flag
                        ? (PreflightFinding.Ok, $"{name}: dracut with the iscsi module and rd.iscsi.firmware: logs in from the iBFT.")
                        : (PreflightFinding.Warning, $"{name}: dracut has the iscsi module but neither the kernel command line nor /etc/cmdline.d sets rd.iscsi.firmware=1, so it ignores the iBFT. "
                            + "On the donor: add rd.iscsi.firmware=1 to GRUB_CMDLINE_LINUX in /etc/default/grub and run grub2-mkconfig (or update-grub).");
                }

            default:
                var init = c.Text("init");
                return iscsistart
                    ? (PreflightFinding.Ok, $"{name}: iscsistart present{(init?.Contains("iscsistart", StringComparison.Ordinal) == true ? " and run by /init" : string.Empty)}.")
                    : (PreflightFinding.Warning, $"{name}: neither initramfs-tools, dracut nor iscsistart: no sign it can log in to an iSCSI root. "
                        + "Debian: apt install open-iscsi, ISCSI_AUTO=true in /etc/iscsi/iscsi.initramfs, update-initramfs -u; RHEL: dracut --add iscsi, rd.iscsi.firmware=1.");
        }
    }
}
