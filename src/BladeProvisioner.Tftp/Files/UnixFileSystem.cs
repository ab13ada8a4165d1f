using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace BladeProvisioner.Tftp.Files;

/// <summary>
/// The two file system questions .NET does not answer on Linux: where a path really leads (realpath(3), all
/// symlinks resolved) and what kind of file it is (statx(2); struct statx has one layout on every architecture).
/// </summary>
internal static partial class UnixFileSystem
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int StatxModeOffset = 28;
    private const int StatxSize = 256;
    private const int FileTypeMask = 0xF000;
    private const int RegularFileType = 0x8000;

    /// <summary>The canonical absolute path, or null when the path (or a link on it) does not resolve.</summary>
    public static string? RealPath(string path)
    {
        var resolved = NativeRealPath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            NativeFree(resolved);
        }
    }

    /// <summary>True when <paramref name="path"/> (followed through links) is a regular file; false for devices, FIFOs, sockets, directories.</summary>
    public static bool IsRegularFile(string path)
    {
        var buffer = new byte[StatxSize];
        if (NativeStatx(AtFdCwd, path, 0, StatxType, buffer) != 0)
        {
            return false;
        }

        var mode = BitConverter.IsLittleEndian
            ? BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(StatxModeOffset))
            : BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(StatxModeOffset));
        return (mode & FileTypeMask) == RegularFileType;
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr NativeRealPath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void NativeFree(IntPtr pointer);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeStatx(int directoryFd, string path, int flags, uint mask, [Out] byte[] buffer);
}
