using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace BladeProvisioner.Storage.Cloning;

/// <summary>
/// The few Linux file calls .NET does not expose: SEEK_DATA/SEEK_HOLE, FICLONE/FICLONERANGE, fdatasync,
/// posix_fadvise and sync_file_range. Blittable signatures only, so no marshalling code and no unsafe blocks.
/// </summary>
internal static class LinuxFile
{
    private const string Libc = "libc.so.6";
    private const int SeekData = 3;
    private const int SeekHole = 4;
    private const int Enxio = 6;
    private const int Eintr = 4;

    // _IOW(0x94, 9, int) and _IOW(0x94, 13, struct file_clone_range) from linux/fs.h.
    private const ulong Ficlone = 0x40049409;
    private const ulong FicloneRange = 0x4020940D;

    private const int SyncFileRangeWrite = 2;

    public const int AdviceSequential = 2;
    public const int AdviceDontNeed = 4;

    /// <summary>The next offset at or after <paramref name="offset"/> holding data; <paramref name="size"/> when none.</summary>
    public static long NextData(SafeFileHandle file, long offset, long size) => Seek(file, offset, SeekData, size);

    /// <summary>The next hole at or after <paramref name="offset"/>; end of file counts as a hole.</summary>
    public static long NextHole(SafeFileHandle file, long offset, long size) => Seek(file, offset, SeekHole, size);

    /// <summary>
    /// Shares the source's extents with the destination (XFS, btrfs). False when the filesystem cannot
    /// (different filesystems, no reflink support); other failures throw.
    /// </summary>
    public static bool TryClone(SafeFileHandle source, SafeFileHandle destination, long destinationOffset)
    {
        int rc;
        if (destinationOffset == 0)
        {
            rc = IoctlClone(destination, Ficlone, source);
        }
        else
        {
            // src_length 0 means "to the end of the source".
            var range = new FileCloneRange(source.DangerousGetHandle(), 0, 0, (ulong)destinationOffset);
            var added = false;
            source.DangerousAddRef(ref added);
            try
            {
                rc = IoctlCloneRange(destination, FicloneRange, ref range);
            }
            finally
            {
                if (added)
                {
                    source.DangerousRelease();
                }
            }
        }

        if (rc == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        // EOPNOTSUPP, EXDEV, EINVAL, ENOTTY, ENOSYS, EBADF (no clone support on this filesystem or pair)
        if (errno is 95 or 18 or 22 or 25 or 38 or 9)
        {
            return false;
        }

        throw Failure("FICLONE", errno);
    }

    /// <summary>Bytes in data extents (SEEK_DATA/SEEK_HOLE) of the file at <paramref name="path"/>; 0 when there is none.</summary>
    public static long AllocatedBytes(string path)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
        catch (DirectoryNotFoundException)
        {
            return 0;
        }

        using (handle)
        {
            var size = RandomAccess.GetLength(handle);
            long total = 0;
            for (var offset = NextData(handle, 0, size); offset < size;)
            {
                var hole = NextHole(handle, offset, size);
                total += hole - offset;
                offset = NextData(handle, hole, size);
            }

            return total;
        }
    }

    public static void DataSync(SafeFileHandle file)
    {
        int rc;
        do
        {
            rc = FDataSync(file);
        }
        while (rc != 0 && Marshal.GetLastPInvokeError() == Eintr);

        if (rc != 0)
        {
            throw Failure("fdatasync", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Advisory only: failures are ignored.</summary>
    public static void Advise(SafeFileHandle file, long offset, long length, int advice) =>
        _ = PosixFadvise(file, offset, length, advice);

    /// <summary>Starts writeback of a range without waiting, so the next fdatasync has little left to do.</summary>
    public static void StartWriteback(SafeFileHandle file, long offset, long length) =>
        _ = SyncFileRange(file, offset, length, SyncFileRangeWrite);

    private static long Seek(SafeFileHandle file, long offset, int whence, long size)
    {
        if (offset >= size)
        {
            return size;
        }

        var result = LSeek(file, offset, whence);
        if (result >= 0)
        {
            return Math.Min(result, size);
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == Enxio)
        {
            return size;
        }

        // EINVAL: the filesystem has no SEEK_DATA support; treat the whole file as data.
        if (errno == 22)
        {
            return whence == SeekData ? offset : size;
        }

        throw Failure("lseek", errno);
    }

    private static IOException Failure(string call, int errno) =>
        new($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", errno);

    [StructLayout(LayoutKind.Sequential)]
    private struct FileCloneRange(nint sourceFd, ulong sourceOffset, ulong sourceLength, ulong destinationOffset)
    {
        public long SourceFd = sourceFd;
        public ulong SourceOffset = sourceOffset;
        public ulong SourceLength = sourceLength;
        public ulong DestinationOffset = destinationOffset;
    }

    [DllImport(Libc, EntryPoint = "lseek", SetLastError = true)]
    private static extern long LSeek(SafeFileHandle fd, long offset, int whence);

    [DllImport(Libc, EntryPoint = "ioctl", SetLastError = true)]
    private static extern int IoctlClone(SafeFileHandle fd, ulong request, SafeFileHandle sourceFd);

    [DllImport(Libc, EntryPoint = "ioctl", SetLastError = true)]
    private static extern int IoctlCloneRange(SafeFileHandle fd, ulong request, ref FileCloneRange range);

    [DllImport(Libc, EntryPoint = "fdatasync", SetLastError = true)]
    private static extern int FDataSync(SafeFileHandle fd);

    [DllImport(Libc, EntryPoint = "posix_fadvise")]
    private static extern int PosixFadvise(SafeFileHandle fd, long offset, long length, int advice);

    [DllImport(Libc, EntryPoint = "sync_file_range", SetLastError = true)]
    private static extern int SyncFileRange(SafeFileHandle fd, long offset, long length, int flags);
}
