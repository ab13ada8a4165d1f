using System.Security;

namespace BladeProvisioner.Tftp.Files;

/// <summary>
/// Serves regular files under the TFTP root. The requested name is resolved with every symlink followed and must
/// still lie inside the (resolved) root; device files, FIFOs, sockets and directories are refused.
/// </summary>
internal sealed class RootDirectoryFileProvider(string root)
{
    public string Root { get; } = root;

    public FileLookup Open(string relativePath)
    {
        var realRoot = UnixFileSystem.RealPath(Root);
        if (realRoot is null)
        {
            return FileLookup.NotFound;
        }

        var realPath = UnixFileSystem.RealPath(Path.Join(realRoot, relativePath));
        if (realPath is null)
        {
            return FileLookup.NotFound;
        }

        var prefix = realRoot.EndsWith('/') ? realRoot : realRoot + "/";
        if (!realPath.StartsWith(prefix, StringComparison.Ordinal))
        {
            return FileLookup.Denied("path leads outside the TFTP root");
        }

        // Checked before opening: opening a FIFO for reading would block until a writer appears.
        if (!UnixFileSystem.IsRegularFile(realPath))
        {
            return FileLookup.Denied("not a regular file");
        }

        try
        {
            var handle = File.OpenHandle(realPath, FileMode.Open, FileAccess.Read, FileShare.Read);
            return FileLookup.Found(TftpFile.FromHandle(handle));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return FileLookup.NotFound;
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or SecurityException)
        {
            return FileLookup.Denied("permission denied");
        }
    }
}
