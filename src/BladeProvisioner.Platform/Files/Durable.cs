using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace BladeProvisioner.Platform.Files;

/// <summary>
/// Making a file that commits something (an image version, a sealed upload, a volume) survive a power loss: the file's
/// data is fsynced, and so is the directory that names it, after every create or rename. Without the directory fsync a
/// rename is only in memory: after a power cut the old name (or nothing) is back, while the database already says the
/// file is there.
/// </summary>
public static class Durable
{
    private const string Libc = "libc";
    private const int ReadOnly = 0;
    private const int DirectoryOnly = 0x10000; // O_DIRECTORY (x86-64, arm64)
    private const int CloseOnExec = 0x80000; // O_CLOEXEC
    private const int Eintr = 4;

    /// <summary>fsync of an open file: its data and metadata.</summary>
    public static void Fsync(SafeFileHandle file)
    {
        ArgumentNullException.ThrowIfNull(file);
        Check(Retry(() => FSync(file)), "fsync", null);
    }

    /// <summary>fsync of a file by name (opened read-only: Linux allows fsync on any descriptor of the file).</summary>
    public static void FsyncFile(string path)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Check(Retry(() => FSync(file)), "fsync", path);
    }

    /// <summary>fsync of a directory: makes the names created, renamed or removed in it durable.</summary>
    public static void FsyncDirectory(string path)
    {
        var name = Encoding.UTF8.GetBytes(Path.GetFullPath(path) + "\0");
        int fd;
        do
        {
            fd = Open(name, ReadOnly | DirectoryOnly | CloseOnExec);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == Eintr);

        Check(fd, "open", path);
        try
        {
            Check(Retry(() => FSyncFd(fd)), "fsync", path);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>fsync of a file, then of the directory that holds it: the file exists under this name after a power loss.</summary>
    public static void FsyncFileAndDirectory(string path)
    {
        FsyncFile(path);
        FsyncDirectory(DirectoryOf(path));
    }

    /// <summary>
    /// Renames <paramref name="from"/> to <paramref name="to"/> (replacing it) so that after a power loss the new name
    /// holds the complete file: the file is fsynced before the rename, the directories after it.
    /// </summary>
    public static void Rename(string from, string to)
    {
        FsyncFile(from);
        File.Move(from, to, overwrite: true);
        var target = DirectoryOf(to);
        FsyncDirectory(target);
        var source = DirectoryOf(from);
        if (!string.Equals(source, target, StringComparison.Ordinal))
        {
            FsyncDirectory(source);
        }
    }

    private static string DirectoryOf(string path) => Path.GetDirectoryName(Path.GetFullPath(path))!;

    private static int Retry(Func<int> call)
    {
        int rc;
        do
        {
            rc = call();
        }
        while (rc != 0 && Marshal.GetLastPInvokeError() == Eintr);

        return rc;
    }

    private static void Check(int rc, string call, string? path)
    {
        if (rc < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            var what = path is null ? call : $"{call} {path}";
            throw new IOException($"{what} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", errno);
        }
    }

    [DllImport(Libc, EntryPoint = "open", SetLastError = true)]
    private static extern int Open(byte[] path, int flags);

    [DllImport(Libc, EntryPoint = "fsync", SetLastError = true)]
    private static extern int FSync(SafeFileHandle fd);

    [DllImport(Libc, EntryPoint = "fsync", SetLastError = true)]
    private static extern int FSyncFd(int fd);

    [DllImport(Libc, EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
