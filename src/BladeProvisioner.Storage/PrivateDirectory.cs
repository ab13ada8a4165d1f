namespace BladeProvisioner.Storage;

/// <summary>Directories that hold donors, volumes or uploads: the appliance's account only (0700).</summary>
public static class PrivateDirectory
{
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates <paramref name="path"/> (and missing parents) 0700, and narrows an existing one to 0700.</summary>
    public static void Ensure(string path)
    {
        Directory.CreateDirectory(path, Mode);
        if (File.GetUnixFileMode(path) != Mode)
        {
            File.SetUnixFileMode(path, Mode);
        }
    }
}
