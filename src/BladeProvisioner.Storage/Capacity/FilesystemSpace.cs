using System.Runtime.InteropServices;

namespace BladeProvisioner.Storage.Capacity;

/// <summary>
/// A filesystem as statvfs(3) sees it from a directory: its device (st_dev, so two roles on one filesystem are told
/// apart from two filesystems), its size and the bytes an unprivileged writer may still allocate (f_bavail: ext4's
/// root-reserved blocks are not counted as free; the appliance's reserve comes on top of them).
/// </summary>
public readonly record struct FilesystemSpace(ulong Device, long CapacityBytes, long FreeBytes)
{
    private const string Libc = "libc.so.6";

    /// <summary>Measures the filesystem holding <paramref name="path"/>, or its nearest existing parent.</summary>
    public static FilesystemSpace Measure(string path)
    {
        var existing = Path.GetFullPath(path);
        while (!Directory.Exists(existing) && !File.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            existing = parent;
        }

        if (StatVfs(existing, out var vfs) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"statvfs({existing}) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", errno);
        }

        if (Stat(existing, out var st) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"stat({existing}) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", errno);
        }

        var unit = vfs.FragmentSize != 0 ? vfs.FragmentSize : vfs.BlockSize;
        return new FilesystemSpace(st.Device, checked((long)(vfs.Blocks * unit)), checked((long)(vfs.AvailableBlocks * unit)));
    }

    // struct statvfs of glibc on LP64 (x86_64, aarch64): eleven unsigned longs, then int __f_spare[6].
    [StructLayout(LayoutKind.Sequential)]
    private struct StatVfsBuffer
    {
        public ulong BlockSize;
        public ulong FragmentSize;
        public ulong Blocks;
        public ulong FreeBlocks;
        public ulong AvailableBlocks;
        public ulong Files;
        public ulong FreeFiles;
        public ulong AvailableFiles;
        public ulong FilesystemId;
        public ulong Flags;
        public ulong NameMax;
        public long Spare0;
        public long Spare1;
        public long Spare2;
    }

    // struct stat begins with dev_t st_dev (8 bytes) on every LP64 glibc ABI; the rest (at most 144 bytes) is room.
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    private struct StatBuffer
    {
        public ulong Device;
    }

    [DllImport(Libc, EntryPoint = "statvfs", SetLastError = true)]
    private static extern int StatVfs([MarshalAs(UnmanagedType.LPUTF8Str)] string path, out StatVfsBuffer buffer);

    [DllImport(Libc, EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, out StatBuffer buffer);
}
