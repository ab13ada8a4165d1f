using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Storage.Tests.Cloning.Support;

namespace BladeProvisioner.Storage.Tests.Images.Initramfs;

/// <summary>Initramfs files made the way distributions make them: GNU cpio (newc) and the real compressors.</summary>
internal static class RealInitramfs
{
    /// <summary>A directory tree of <paramref name="files"/> (relative path → text).</summary>
    public static string Tree(string root, IReadOnlyDictionary<string, string> files)
    {
        Directory.CreateDirectory(root);
        foreach (var (path, text) in files)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
        }

        return root;
    }

    /// <summary><c>find . | cpio -o -H newc</c> of a tree into <paramref name="archive"/>.</summary>
    public static async Task<string> CpioAsync(string tree, string archive)
    {
        var names = Directory.EnumerateFileSystemEntries(tree, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(tree, p)).Order(StringComparer.Ordinal);
        await Tools.Runner.RunAsync(
            new ProcessSpec(Tools.Resolve("cpio"), ["-o", "-H", "newc", "--quiet", "-F", archive])
            {
                StandardInput = string.Join('\n', names.Prepend(".")) + "\n",
                WorkingDirectory = tree,
                Timeout = TimeSpan.FromSeconds(120),
            },
            TestContext.Current.CancellationToken);
        return archive;
    }

    /// <summary>Compresses <paramref name="file"/> with gzip, xz or zstd (the tool's own command line); returns the compressed file.</summary>
    public static async Task<string> CompressAsync(string file, string kind)
    {
        var output = $"{file}.{kind}";
        var command = kind switch
        {
            "gzip" => "gzip -9n -c \"$1\" > \"$2\"",
            "xz" => "xz -q -c --check=crc32 \"$1\" > \"$2\"",
            "zstd" => "zstd -q -19 -c \"$1\" > \"$2\"",
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
        await Tools.RunAsync("bash", "-c", command, kind, file, output);
        return output;
    }

    /// <summary>The files of <paramref name="parts"/> one after the other (early cpio, padding, compressed main), as dracut and initramfs-tools concatenate them.</summary>
    public static async Task<string> ConcatenateAsync(string output, params string[] parts)
    {
        await using var o = File.Create(output);
        foreach (var part in parts)
        {
            await using var i = File.OpenRead(part);
            await i.CopyToAsync(o, TestContext.Current.CancellationToken);
        }

        return output;
    }
}
