using BladeProvisioner.Testing;

namespace BladeProvisioner.Storage.Tests.Cloning.Support;

/// <summary>
/// A 512 MiB XFS with reflink, loop-mounted under /tmp/bpclone-*/mnt for the test class; unmounted (which also
/// detaches the auto-cleared loop device) and deleted afterwards. Records why it could not be made instead of throwing,
/// so each test fails (or, outside CI with BP_ALLOW_SKIP=1, skips) with that reason.
/// </summary>
public sealed class XfsLoopMount : IAsyncLifetime
{
    private readonly ScratchDirectory _dir = new();
    private bool _mounted;

    public string MountPoint => Path.Combine(_dir.Path, "mnt");

    public string? Problem { get; private set; }

    public void Require() => Prerequisites.Require(Problem is null, Problem ?? string.Empty);

    public async ValueTask InitializeAsync()
    {
        if (Environment.UserName != "root")
        {
            Problem = "root privileges (loop-mounting an XFS image)";
            return;
        }

        try
        {
            var image = Path.Combine(_dir.Path, "xfs.img");
            await using (var f = File.Create(image))
            {
                f.SetLength(512L << 20);
            }

            Directory.CreateDirectory(MountPoint);
            await Tools.Runner.RunAsync(new("/usr/sbin/mkfs.xfs", ["-q", "-m", "reflink=1", image]));
            await Tools.Runner.RunAsync(new("/usr/bin/mount", ["-o", "loop", image, MountPoint]));
            _mounted = true;
        }
        catch (Exception ex) when (ex is Platform.Processes.ProcessFailedException or IOException)
        {
            Problem = $"a loop-mounted XFS with reflink (mkfs.xfs from xfsprogs, mount -o loop): {ex.Message}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_mounted)
            {
                await Tools.Runner.RunAsync(new("/usr/bin/umount", [MountPoint]) { Timeout = TimeSpan.FromSeconds(30) });
            }
        }
        finally
        {
            _dir.Dispose();
        }
    }
}
