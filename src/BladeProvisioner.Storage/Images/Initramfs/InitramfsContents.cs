using System.Text;

namespace BladeProvisioner.Storage.Images.Initramfs;

/// <summary>
/// What one initramfs holds: every path (normalised: no leading <c>./</c> or <c>/</c>), the text of the few small files
/// the iSCSI verdict reads, how it was packed (<see cref="Layers"/>, e.g. "cpio" then "zstd cpio"), and why reading
/// stopped early, if it did.
/// </summary>
internal sealed class InitramfsContents
{
    private const int SymlinkBit = 0xA000;
    private readonly HashSet<string> _paths = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _texts = new(StringComparer.Ordinal);

    public List<string> Layers { get; } = [];

    public int Entries { get; set; }

    /// <summary>Null when every archive was read to its end.</summary>
    public string? Problem { get; set; }

    public IReadOnlyCollection<string> Paths => _paths;

    public static string Normalize(string name)
    {
        var s = name;
        while (s.StartsWith("./", StringComparison.Ordinal) || s.StartsWith('/'))
        {
            s = s.StartsWith('/') ? s[1..] : s[2..];
        }

        return s;
    }

    public bool Has(string path) => _paths.Contains(path);

    /// <summary>The text of a kept file, or null.</summary>
    public string? Text(string path) => _texts.GetValueOrDefault(path);

    /// <summary>Kept files whose path starts with <paramref name="prefix"/>.</summary>
    public IEnumerable<KeyValuePair<string, string>> TextsUnder(string prefix) => _texts.Where(t => t.Key.StartsWith(prefix, StringComparison.Ordinal));

    public void Add(string path, int mode) => _paths.Add(path);

    /// <summary>Files the verdicts read: configuration the initramfs sources, its command line pieces, and its init script.</summary>
    public bool Wants(string path, int mode) =>
        (mode & 0xF000) != SymlinkBit &&
        (path is "init" or "etc/iscsi.initramfs" or "etc/iscsi/iscsi.initramfs" or "conf/initramfs.conf" or "etc/cmdline"
        || path.StartsWith("conf/conf.d/", StringComparison.Ordinal)
        || path.StartsWith("etc/cmdline.d/", StringComparison.Ordinal));

    public void Keep(string path, ReadOnlySpan<byte> data) => _texts[path] = Encoding.UTF8.GetString(data);
}
