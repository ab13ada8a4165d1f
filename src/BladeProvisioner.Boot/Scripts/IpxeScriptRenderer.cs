using System.Globalization;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Naming;
using BladeProvisioner.Core.Security;

namespace BladeProvisioner.Boot.Scripts;

/// <summary>
/// Renders the blade's side of the boot conversation as iPXE scripts (iPXE 1.0.0+git-20190125, Debian 12, and
/// later). Every chain uses <c>--replace</c> so a blade that polls for minutes does not nest scripts, and every
/// failure path says what happened and where the blade goes next. Escaping rules: <see cref="IpxeText"/>.
/// </summary>
internal sealed class IpxeScriptRenderer
{
    private const string Chain = "chain --autofree --replace ";

    /// <summary>
    /// The script DHCP points iPXE at: sends the blade's identity (boot NIC MAC, SMBIOS UUID, serial, manufacturer,
    /// product, firmware platform, architecture) to <see cref="BootPaths.Blade"/>. <c>netX</c> is the NIC iPXE last
    /// configured, i.e. the one it booted from.
    /// </summary>
    public string Entry(EntryScript model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var url = BootLinks.Base(model.BaseUri) + BootPaths.Blade
            + "?mac=${netX/mac:hexhyp}&uuid=${uuid}&serial=${serial:uristring}&manufacturer=${manufacturer:uristring}"
            + "&product=${product:uristring}&platform=${platform:uristring}&buildarch=${buildarch:uristring}"
            + (model.Ticket is null ? string.Empty : "&ticket=" + SafeWord(model.Ticket, "ticket"));
        var script = new IpxeScriptBuilder()
            .Comment("BladeProvisioner: send this blade's identity, then run the script that comes back.")
            .Line(Chain + url + " || goto restart");
        return Restart(script, model.RetrySeconds).ToString();
    }

    /// <summary>
    /// The image menu: images, then refresh, reboot and shell. Without a choice it refreshes after
    /// <see cref="MenuScript.TimeoutSeconds"/>; nothing is ever chosen for the operator.
    /// </summary>
    public string Menu(MenuScript model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var links = model.Links;
        var script = new IpxeScriptBuilder()
            .Comment($"BladeProvisioner: image menu for blade {links.BladeId}.")
            .Label("menu")
            .Line("menu BladeProvisioner - " + IpxeText.Display(model.Title));
        if (!string.IsNullOrWhiteSpace(model.Error))
        {
            foreach (var line in IpxeScriptBuilder.Wrap("Last attempt failed: " + model.Error, maxLines: 3))
            {
                script.Line("item --gap -- " + line);
            }

            script.Line("item --gap");
        }

        script.Line($"item --gap -- Operating systems for {PlatformName(model.Platform)}:");
        // The first nine images answer to a digit: one key press chooses, whatever the cursor's position (slow serial
        // consoles, remote KVMs that drop arrow keys).
        for (var i = 0; i < model.Images.Count; i++)
        {
            var image = model.Images[i];
            var name = IpxeText.Display(image.Name);
            var text = name.Length == 0 ? $"image {image.Id}" : name;
            script.Line(i < 9
                ? $"item --key {i + 1} {ImageLabel(image.Id)} {i + 1}) {text}"
                : $"item {ImageLabel(image.Id)} {text}");
        }

        if (model.Images.Count == 0)
        {
            script.Line("item --gap -- (none yet: an administrator has to activate an image)");
        }

        script.Line("item --gap")
            .Line("item --key r refresh Refresh this menu")
            .Line("item --key b reboot Reboot")
            .Line("item --key s shell iPXE shell")
            .Line((model.TimeoutSeconds > 0 ? $"choose --timeout {model.TimeoutSeconds * 1000} " : "choose ") + "--default refresh bp-choice || goto refresh")
            .Line("goto ${bp-choice}");
        foreach (var image in model.Images)
        {
            script.Label(ImageLabel(image.Id)).Line(Chain + links.Choose(image.Id) + " || goto restart");
        }

        script
            .Label("refresh").Line(Chain + links.Menu() + " || goto restart")
            .Label("reboot").Line("reboot")
            .Label("shell").Line("echo Type exit to return to the menu.").Line("shell").Line("goto menu");
        return Restart(script, 10).ToString();
    }

    /// <summary>One progress report, then a short sleep and the next report from <see cref="BootPaths.Status"/>.</summary>
    public string Progress(ProgressScript model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var stage = string.IsNullOrWhiteSpace(model.Stage) ? string.Empty : $" ({model.Stage})";
        var script = new IpxeScriptBuilder()
            .Comment($"BladeProvisioner: progress for blade {model.Links.BladeId}.")
            .Echo(string.Empty)
            .Echo($"BladeProvisioner: preparing {model.ImageName}{stage}")
            .Line("echo " + ProgressLine(model))
            .Label("poll")
            .Line(Sleep(model.RefreshSeconds))
            .Line(Chain + model.Links.Status() + " || goto restart");
        return Restart(script, model.RefreshSeconds).ToString();
    }

    /// <summary>
    /// sanboot from the blade's target with CHAP (and mutual CHAP), so iPXE fills in the iBFT; up to
    /// <see cref="SanbootScript.Attempts"/> tries, then the secrets are cleared and the blade goes back to the menu
    /// with the error.
    /// </summary>
    public string Sanboot(SanbootScript model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var initiatorProblem = Iqn.Validate(model.InitiatorIqn);
        if (initiatorProblem is not null)
        {
            throw DomainException.Invalid(ErrorCodes.InvalidIqn, $"Initiator '{model.InitiatorIqn}' is not a valid IQN: {initiatorProblem}.");
        }

        var rootPath = IscsiRootPath.Format(model.Portal, model.TargetIqn, model.Lun, model.Port);
        ValidateChap(model.Chap, "CHAP");
        if (model.MutualChap is not null)
        {
            ValidateChap(model.MutualChap, "mutual CHAP");
            if (!IsMask(model.Chap.Secret) && string.Equals(model.MutualChap.Secret, model.Chap.Secret, StringComparison.Ordinal))
            {
                // RFC 3720 §8.2.1: the two directions never share a secret.
                throw DomainException.Invalid(ErrorCodes.ValidationFailed, "Mutual CHAP needs a secret of its own.");
            }
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(model.Attempts, 1);
        var what = string.IsNullOrWhiteSpace(model.Description) ? string.Empty : $" ({model.Description})";
        var script = new IpxeScriptBuilder()
            .Comment($"BladeProvisioner: boot blade {model.Links.BladeId} from its iSCSI volume. Holds CHAP secrets: for this blade only.")
            .Echo($"BladeProvisioner: booting blade {model.Links.BladeId} from iSCSI{what}")
            .Line("set initiator-iqn " + model.InitiatorIqn)
            .Line("set username " + model.Chap.Username)
            .Line("set password " + model.Chap.Secret);
        if (model.MutualChap is { } mutual)
        {
            script.Line("set reverse-username " + mutual.Username).Line("set reverse-password " + mutual.Secret);
        }
        else
        {
            // A mutual-CHAP setting left from an earlier script would make iPXE demand the target's proof.
            script.Line("clear reverse-username").Line("clear reverse-password");
        }

        var attempts = model.Attempts.ToString(CultureInfo.InvariantCulture);
        script.Line("set bp-attempt:int32 0")
            .Label("sanboot")
            .Line("inc bp-attempt")
            .Line($"echo Attempt ${{bp-attempt}} of {attempts}: sanboot {rootPath}")
            .Line($"sanboot {rootPath} || goto failed")
            .Label("failed")
            .Line("set bp-error ${errno}")
            .Line($"iseq ${{bp-attempt}} {attempts} && goto give-up ||")
            .Line($"echo Boot attempt ${{bp-attempt}} failed (error ${{bp-error}}); trying again in {model.RetrySeconds} seconds.")
            .Line(Sleep(model.RetrySeconds))
            .Line("goto sanboot")
            .Label("give-up")
            .Line("clear password")
            .Line("clear reverse-password")
            .Line($"echo Could not boot from the iSCSI volume after {attempts} attempts (error ${{bp-error}}).")
            .Label("menu")
            .Line(Chain + model.Links.Menu(ErrorCodes.SanbootFailed) + "&errno=${bp-error} || goto restart");
        return Restart(script, 10).ToString();
    }

    /// <summary>The error in words (and its code), then back to the menu after a key press or a timeout.</summary>
    public string Error(ErrorScript model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var script = new IpxeScriptBuilder()
            .Comment($"BladeProvisioner: error for blade {model.Links.BladeId}.")
            .Echo(string.Empty)
            .Echo("BladeProvisioner: " + model.Message);
        if (!string.IsNullOrWhiteSpace(model.Code))
        {
            script.Echo("Error code: " + model.Code);
        }

        script
            .Label("menu")
            .Line($"prompt --timeout {model.ReturnSeconds * 1000} Press any key to return to the menu. ||")
            .Line(Chain + model.Links.Menu(string.IsNullOrWhiteSpace(model.Code) ? null : model.Code) + " || goto restart");
        return Restart(script, 10).ToString();
    }

    /// <summary>In-band restart: the blade PXE-boots again and gets its next script.</summary>
    public string Reboot(RebootScript model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new IpxeScriptBuilder()
            .Echo("BladeProvisioner: " + model.Message)
            .Line($"echo Restarting in {model.DelaySeconds} seconds.")
            .Line(Sleep(model.DelaySeconds))
            .Line("reboot")
            .ToString();
    }

    /// <summary>
    /// "[##########..............................] 25%, 118.5 MiB/s, 1.0 GiB of 4.0 GiB, about 26 s left". Single
    /// spaces: iPXE's echo would collapse more.
    /// </summary>
    internal static string ProgressLine(ProgressScript model)
    {
        if (model.Percent is not { } percent)
        {
            return "Waiting for the first progress report.";
        }

        percent = Math.Clamp(percent, 0, 100);
        const int Width = 40;
        var filled = (int)Math.Round(percent / 100 * Width, MidpointRounding.ToZero);
        var line = string.Create(CultureInfo.InvariantCulture, $"[{new string('#', filled)}{new string('.', Width - filled)}] {Math.Floor(percent):0}%");
        if (model.BytesPerSecond is { } rate and > 0)
        {
            line += ", " + Bytes(rate) + "/s";
        }

        if (model.BytesDone is { } done && model.BytesTotal is { } total and > 0)
        {
            line += $", {Bytes(done)} of {Bytes(total)}";
            if (model.BytesPerSecond is { } r and > 0 && total > done)
            {
                line += $", about {Duration((total - done) / r)} left";
            }
        }

        return line;
    }

    internal static string Bytes(double value)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{value:0} {units[unit]}")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }

    private static string Duration(double seconds) =>
        seconds < 90
            ? string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(seconds):0} s")
            : string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(seconds / 60):0} min");

    /// <summary>
    /// Where every failed chain goes: after a pause, a fresh DHCP exchange and the boot URL it names. A lost answer, an
    /// appliance restart, a spent or expired token: the new DHCP answer brings a new boot ticket, and the conversation
    /// starts again from the top (a link of the old script is never retried: its token may be spent).
    /// </summary>
    private static IpxeScriptBuilder Restart(IpxeScriptBuilder script, int seconds) =>
        script.Label("restart")
            .Line("echo BladeProvisioner: no answer from the appliance, or not admitted (${errno}); starting again from DHCP in "
                + Math.Max(1, seconds).ToString(CultureInfo.InvariantCulture) + " seconds.")
            .Line(Sleep(seconds))
            .Line("dhcp || goto restart")
            .Line(Chain + "${filename} || goto restart");

    private static string Sleep(int seconds) => "sleep " + Math.Max(1, seconds).ToString(CultureInfo.InvariantCulture);

    private static string ImageLabel(long id) => "img-" + id.ToString(CultureInfo.InvariantCulture);

    private static string PlatformName(BootPlatform platform) => platform switch
    {
        BootPlatform.Bios => "BIOS blades",
        BootPlatform.Uefi => "UEFI blades",
        _ => "this blade",
    };

    private static void ValidateChap(ChapCredentials chap, string what)
    {
        ArgumentNullException.ThrowIfNull(chap);
        var userOk = chap.Username.Length is > 0 and <= 128
            && chap.Username.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '@' or '-');
        if (!userOk)
        {
            throw DomainException.Invalid(ErrorCodes.ValidationFailed, $"The {what} user name may hold only letters, digits and . _ : @ - (1 to 128).");
        }

        if (!ChapSecret.IsAcceptable(chap.Secret) && !IsMask(chap.Secret))
        {
            throw DomainException.Invalid(ErrorCodes.ValidationFailed, $"The {what} secret must be 12 to 16 letters, digits, '-' or '_'.");
        }
    }

    /// <summary>
    /// The dry run shows a script without its secrets: a secret of 12 to 16 asterisks stands in for one (and is
    /// a safe word for iPXE).
    /// </summary>
    internal static bool IsMask(string? secret) => secret is { Length: >= 12 and <= 16 } && secret.All(c => c == '*');

    private static string SafeWord(string value, string what) =>
        IpxeText.IsSafeWord(value) ? value : throw new ArgumentException($"The {what} cannot be written into an iPXE script.", nameof(value));
}
