using BladeProvisioner.Platform.Files;

namespace BladeProvisioner.Storage;

/// <summary>Directories that hold donors, volumes or uploads: the appliance's account only (0700).</summary>
public static class PrivateDirectory
{
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// Creates <paramref name="path"/> (and missing parents) 0700, and narrows an existing one to 0700. A directory
    /// created here is made durable in its parent (fsync), so the files committed into it survive a power loss.
    /// </summary>
    public static void Ensure(string path)
    {
        var created = !Directory.Exists(path);
        Directory.CreateDirectory(path, Mode);
        if (created && Path.GetDirectoryName(Path.GetFullPath(path)) is { } parent)
        {
            Durable.FsyncDirectory(parent);
        }

        if (File.GetUnixFileMode(path) != Mode)
        {
            File.SetUnixFileMode(path, Mode);
        }
    }
}
