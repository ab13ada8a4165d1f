using System.Text.RegularExpressions;

namespace BladeProvisioner.Bench.Storm;

/// <summary>What iPXE does next after running a script, as far as a blade's boot conversation goes.</summary>
internal enum IpxeAction
{
    /// <summary>chain to <see cref="IpxeStep.Url"/>.</summary>
    Chain,

    /// <summary>Power-cycle: PXE from DHCP again.</summary>
    Reboot,

    /// <summary>sanboot <see cref="IpxeStep.RootPath"/> with the CHAP names set before it.</summary>
    Sanboot,

    /// <summary>dhcp, then chain ${filename}: the conversation starts again.</summary>
    Restart,

    /// <summary>Nothing a blade can go on with (shell, exit, an unknown script).</summary>
    Stuck,
}

/// <summary>The next step and what the script showed on the way there (a menu, a sleep).</summary>
internal sealed record IpxeStep(IpxeAction Action, string? Url, int SleepSeconds, bool WasMenu, IReadOnlyDictionary<string, string> Settings)
{
    public string? RootPath { get; init; }
}

/// <summary>
/// Runs the part of an iPXE script a booting blade runs: <c>set</c>, <c>sleep</c>, <c>goto</c>, the menu's choice
/// (the first image item, as an operator's key press would pick it), <c>chain</c>, <c>reboot</c>, <c>sanboot</c>;
/// <c>${var}</c> and <c>${var:type}</c> expanded from the blade's settings as iPXE does. Conditionals and
/// <c>echo</c> are skipped: the happy path of every script the appliance renders runs straight through.
/// </summary>
internal static partial class IpxeScript
{
    [GeneratedRegex(@"\$\{(?<name>[A-Za-z0-9_/.-]+)(:(?<type>[a-z0-9]+))?\}")]
    private static partial Regex Variable();

    public static IpxeStep Run(string script, string currentUrl, IReadOnlyDictionary<string, string> settings)
    {
        var vars = new Dictionary<string, string>(settings, StringComparer.Ordinal);
        var lines = script.Split('\n').Select(l => l.Trim()).ToArray();
        if (lines.Length == 0 || !lines[0].StartsWith("#!ipxe", StringComparison.Ordinal))
        {
            return new IpxeStep(IpxeAction.Stuck, null, 0, false, vars);
        }

        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith(':'))
            {
                labels[lines[i][1..]] = i;
            }
        }

        var sleep = 0;
        var menu = false;
        var steps = 0;
        for (var i = 1; i < lines.Length && steps++ < 1000; i++)
        {
            var line = lines[i];
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0 || line.StartsWith('#') || line.StartsWith(':'))
            {
                continue;
            }

            switch (words[0])
            {
                case "set" when words.Length >= 2:
                    vars[words[1].Split(':')[0]] = Expand(string.Join(' ', words.Skip(2)), vars);
                    break;
                case "clear" when words.Length >= 2:
                    vars.Remove(words[1]);
                    break;
                case "sleep" when words.Length >= 2 && int.TryParse(words[1], out var s):
                    sleep += s;
                    break;
                case "goto" when words.Length >= 2 && labels.TryGetValue(Expand(words[1], vars), out var target):
                    i = target;
                    break;
                case "menu":
                    menu = true;
                    break;
                case "choose":
                    // The operator's key press: the first image of the menu.
                    var item = labels.Keys.FirstOrDefault(l => l.StartsWith("img-", StringComparison.Ordinal));
                    if (item is null)
                    {
                        return new IpxeStep(IpxeAction.Stuck, null, sleep, menu, vars);
                    }

                    i = labels[item];
                    break;
                case "chain" or "imgexec" or "boot":
                    var url = words.Skip(1).FirstOrDefault(w => !w.StartsWith("--", StringComparison.Ordinal));
                    if (url is null)
                    {
                        return new IpxeStep(IpxeAction.Stuck, null, sleep, menu, vars);
                    }

                    if (url == "${filename}")
                    {
                        return new IpxeStep(IpxeAction.Restart, null, sleep, menu, vars);
                    }

                    return new IpxeStep(IpxeAction.Chain, url == "${0}" ? currentUrl : Expand(url, vars), sleep, menu, vars);
                case "reboot":
                    return new IpxeStep(IpxeAction.Reboot, null, sleep, menu, vars);
                case "sanboot" when words.Skip(1).Any(w => !w.StartsWith("--", StringComparison.Ordinal)):
                    return new IpxeStep(IpxeAction.Sanboot, null, sleep, menu, vars) { RootPath = Expand(words.Skip(1).First(w => !w.StartsWith("--", StringComparison.Ordinal)), vars) };
                case "shell" or "exit" or "poweroff":
                    return new IpxeStep(IpxeAction.Stuck, null, sleep, menu, vars);
            }
        }

        return new IpxeStep(IpxeAction.Stuck, null, sleep, menu, vars);
    }

    /// <summary>Sleep seconds of the script's <c>:restart</c> path (the pause before DHCP again), 5 if it has none.</summary>
    public static int RestartPause(string script)
    {
        var at = script.IndexOf("\n:restart\n", StringComparison.Ordinal);
        var m = at < 0 ? null : Regex.Match(script[at..], @"\nsleep (\d+)");
        return m is { Success: true } ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 5;
    }

    /// <summary>Settings expanded in text, as iPXE expands them in a DHCP filename and in script lines.</summary>
    public static string Expand(string text, IReadOnlyDictionary<string, string> vars) =>
        Variable().Replace(text, m =>
        {
            var value = vars.GetValueOrDefault(m.Groups["name"].Value) ?? string.Empty;
            return m.Groups["type"].Value switch
            {
                "hexhyp" => value.Replace(':', '-'),
                "uristring" => Uri.EscapeDataString(value),
                _ => value,
            };
        });
}
