using System.Text;

namespace BladeProvisioner.Boot.Scripts;

/// <summary>Accumulates script lines: <c>#!ipxe</c> first, <c>\n</c> line ends, no line may smuggle in another.</summary>
internal sealed class IpxeScriptBuilder
{
    private readonly StringBuilder _text = new("#!ipxe\n");

    public IpxeScriptBuilder Line(string line)
    {
        if (line.AsSpan().IndexOfAny('\n', '\r') >= 0)
        {
            throw new ArgumentException("A script line cannot hold a line break.", nameof(line));
        }

        _text.Append(line).Append('\n');
        return this;
    }

    public IpxeScriptBuilder Comment(string text) => Line("# " + IpxeText.Display(text, int.MaxValue));

    public IpxeScriptBuilder Label(string label) => Line(":" + label);

    /// <summary><c>echo</c> of display text, wrapped at <see cref="IpxeText.MaxDisplayLength"/>; an empty text prints a blank line.</summary>
    public IpxeScriptBuilder Echo(string text)
    {
        var lines = Wrap(text, maxLines: 6);
        if (lines.Count == 0)
        {
            return Line("echo");
        }

        foreach (var line in lines)
        {
            Line("echo " + line);
        }

        return this;
    }

    /// <summary>
    /// Display text split into lines of at most <see cref="IpxeText.MaxDisplayLength"/> at spaces, each already safe
    /// (<see cref="IpxeText.Display"/>); anything past <paramref name="maxLines"/> is cut with "...".
    /// </summary>
    public static List<string> Wrap(string text, int maxLines)
    {
        var safe = IpxeText.Display(text, int.MaxValue);
        var lines = new List<string>();
        var current = new StringBuilder();
        foreach (var word in safe.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (current.Length > 0 && current.Length + 1 + word.Length > IpxeText.MaxDisplayLength)
            {
                lines.Add(current.ToString());
                current.Clear();
            }

            if (current.Length > 0)
            {
                current.Append(' ');
            }

            current.Append(word);
        }

        if (current.Length > 0)
        {
            lines.Add(current.ToString());
        }

        for (int i = 0; i < lines.Count; i++)
        {
            // A single over-long word; Display cuts it (and keeps it safe).
            lines[i] = IpxeText.Display(lines[i]);
        }

        if (lines.Count > maxLines)
        {
            lines.RemoveRange(maxLines, lines.Count - maxLines);
            lines[^1] = IpxeText.Display(lines[^1] + " ...");
        }

        return lines;
    }

    public override string ToString() => _text.ToString();
}
