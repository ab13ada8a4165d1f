using System.Text;

namespace BladeProvisioner.Platform.Processes;

/// <summary>
/// What a program printed on one stream, whole or only its tail. Trimming happens when the buffer reaches twice the
/// limit, so each character is moved at most once on average.
/// </summary>
internal sealed class OutputBuffer(int? keepTail)
{
    private readonly Lock _lock = new();
    private readonly StringBuilder _text = new();

    public void AppendLine(string line)
    {
        lock (_lock)
        {
            _text.AppendLine(line);
            if (keepTail is int limit && _text.Length > 2 * limit)
            {
                _text.Remove(0, _text.Length - limit);
            }
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            return keepTail is int limit && _text.Length > limit ? _text.ToString(_text.Length - limit, limit) : _text.ToString();
        }
    }
}
