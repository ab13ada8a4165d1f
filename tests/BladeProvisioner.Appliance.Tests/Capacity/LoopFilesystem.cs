using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests.Capacity;

/// <summary>
/// A small XFS with reflink (what volumes use where they can; mkfs.xfs wants 300 MB at least) on a sparse file, loop-mounted under /tmp. Disposal
/// unmounts it (lazily if something still holds a file open, e.g. tgtd a LUN), which also frees the auto-cleared loop
/// device, then deletes the image; it runs even when the test failed.
/// </summary>
internal sealed class LoopFilesystem : IAsyncDisposable
{
    private readonly TempDirectory _dir = new("bp-loopfs");
    private bool _mounted;

    private LoopFilesystem()
    {
    }

    public string MountPoint => Path.Combine(_dir.Path, "mnt");

    public static LoopFilesystem Create(long bytes)
    {
        var fs = new LoopFilesystem();
        try
        {
            var image = Path.Combine(fs._dir.Path, "fs.img");
            using (var f = File.Create(image))
            {
                f.SetLength(bytes);
            }

            Directory.CreateDirectory(fs.MountPoint);
            Check(TestNetwork.Run("/usr/sbin/mkfs.xfs", ["-q", "-m", "reflink=1", image], TimeSpan.FromSeconds(60)), "mkfs.xfs");
            Check(TestNetwork.Run("/usr/bin/mount", ["-o", "loop", image, fs.MountPoint], TimeSpan.FromSeconds(60)), "mount -o loop");
            fs._mounted = true;

            // Readable for the test's tools; the appliance narrows its own store directories to 0700 itself.
            File.SetUnixFileMode(fs.MountPoint, (UnixFileMode)0b111_101_101);
            return fs;
        }
        catch
        {
            fs.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    public string Sub(string name)
    {
        var path = Path.Combine(MountPoint, name);
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }

    public ValueTask DisposeAsync()
    {
        if (_mounted)
        {
            _mounted = false;
            if (TestNetwork.Run("/usr/bin/umount", [MountPoint], TimeSpan.FromSeconds(60)).ExitCode != 0)
            {
                TestNetwork.Run("/usr/bin/umount", ["-l", MountPoint], TimeSpan.FromSeconds(60));
            }
        }

        _dir.Dispose();
        return ValueTask.CompletedTask;
    }

    private static void Check((int ExitCode, string Stdout, string Stderr) run, string what) =>
        Prerequisites.Require(run.ExitCode == 0, $"a loop-mounted XFS ({what}: {run.Stderr.Trim()})");
}
