using System.Text;

namespace BladeProvisioner.Boot.Scripts;

/// <summary>
/// Making text safe to put into an iPXE script (iPXE 1.0.0+git-20190125 and later).
/// <para>
/// How iPXE reads a script line (src/core/exec.c, settings.c): the line is split at whitespace into tokens; there is no
/// quoting or escaping of any kind, so quotes are ordinary characters. A token that is exactly <c>||</c>, <c>&amp;&amp;</c>
/// or <c>;</c> ends the command and starts another; a token that starts with <c>#</c> starts a comment. Every token is
/// then expanded: <c>${name}</c> is replaced by the setting's value (unknown names by nothing), repeatedly, until no
/// <c>${…}</c> is left — so a value can never carry a literal <c>${</c>. <c>echo</c>, <c>item</c> and <c>menu</c> print
/// their remaining tokens joined by single spaces. A newline ends the command.
/// </para>
/// <para>
/// The rule, for text that comes from people or images (image names, messages, blade names), which only ever goes
/// into display positions (after a label or a fixed word of ours, never first): (1) printable ASCII only — whitespace
/// becomes a space, any other character <c>?</c>; (2) runs of spaces collapse, as iPXE would show them; (3) <c>${</c>
/// becomes <c>$(</c>, so nothing expands; (4) a word that iPXE would read as <c>||</c>, <c>&amp;&amp;</c>, <c>;</c> or a
/// comment is shown in single quotes (<c>'&amp;&amp;'</c>, <c>'#1'</c>); (5) at most <see cref="MaxDisplayLength"/>
/// characters, cut with <c>...</c>. Spaces and quotes survive as typed. Values that must reach iPXE unchanged (URLs,
/// IQNs, CHAP names and secrets) are never altered: they are validated and refused if not <see cref="IsSafeWord"/>.
/// </para>
/// </summary>
internal static class IpxeText
{
    /// <summary>What fits on an 80-column menu line after iPXE's margins.</summary>
    public const int MaxDisplayLength = 72;

    public static string Display(string? text, int maxLength = MaxDisplayLength)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var chars = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            chars.Append(c is >= ' ' and <= '~' ? c : char.IsWhiteSpace(c) ? ' ' : '?');
        }

        chars.Replace("${", "$(");
        var words = chars.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < words.Length; i++)
        {
            if (IsCommandBreak(words[i]))
            {
                words[i] = $"'{words[i]}'";
            }
        }

        var joined = string.Join(' ', words);
        return joined.Length <= maxLength ? joined : joined[..Math.Max(0, maxLength - 3)].TrimEnd() + "...";
    }

    /// <summary>
    /// True for a word iPXE passes through untouched: no whitespace or control characters, no <c>${</c>, not a command
    /// separator, not a comment. URLs, IQNs, CHAP names and secrets must pass this before they go into a script.
    /// </summary>
    public static bool IsSafeWord(string? word)
    {
        if (string.IsNullOrEmpty(word) || IsCommandBreak(word) || word.Contains("${", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in word)
        {
            if (c is <= ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsCommandBreak(string word) => word is "||" or "&&" or ";" || word.StartsWith('#');
}
