using System.Runtime.InteropServices;

namespace BladeProvisioner.Testing;

/// <summary>
/// Reads a LUN as an initiator would, through libiscsi with CHAP (both ways when a mutual user is given): a blade's OS
/// reading its disk, READ(10) into a caller-owned buffer (scsi_iovec), 64 KiB at a time.
/// </summary>
public static partial class LunReader
{
    private const string Lib = "libiscsi.so.7";

    /// <summary>The LUN's bytes, or the login/read error.</summary>
    public static byte[] Read(string portal, string targetIqn, int lun, long bytes, string initiatorIqn, string user, string secret, string? mutualUser, string? mutualSecret)
    {
        var data = new byte[bytes];
        Read(portal, targetIqn, lun, bytes, initiatorIqn, user, secret, mutualUser, mutualSecret, (offset, chunk) => chunk.CopyTo(data.AsSpan((int)offset)));
        return data;
    }

    /// <summary>Hands the first <paramref name="bytes"/> of the LUN to <paramref name="sink"/> chunk by chunk; throws the login/read error.</summary>
    public static void Read(
        string portal, string targetIqn, int lun, long bytes, string initiatorIqn, string user, string secret, string? mutualUser, string? mutualSecret, ChunkSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var context = iscsi_create_context(initiatorIqn);
        if (context == IntPtr.Zero)
        {
            throw new InvalidOperationException("iscsi_create_context failed");
        }

        try
        {
            iscsi_set_targetname(context, targetIqn);
            iscsi_set_session_type(context, 2); // ISCSI_SESSION_NORMAL
            iscsi_set_header_digest(context, 0);
            iscsi_set_initiator_username_pwd(context, user, secret);
            if (mutualUser is not null && mutualSecret is not null)
            {
                iscsi_set_target_username_pwd(context, mutualUser, mutualSecret);
            }

            if (iscsi_full_connect_sync(context, portal, lun) != 0)
            {
                throw new InvalidOperationException($"login to {targetIqn} LUN {lun} failed: {Marshal.PtrToStringUTF8(iscsi_get_error(context))}");
            }

            const int Chunk = 64 * 1024;
            var buffer = Marshal.AllocHGlobal(Chunk);
            var iov = Marshal.AllocHGlobal(2 * IntPtr.Size);
            try
            {
                for (long offset = 0; offset < bytes; offset += Chunk)
                {
                    var length = (int)Math.Min(Chunk, bytes - offset);
                    Marshal.WriteIntPtr(iov, buffer);
                    Marshal.WriteIntPtr(iov, IntPtr.Size, length);
                    var task = iscsi_read10_iov_sync(context, lun, (uint)(offset / 512), (uint)length, 512, 0, 0, 0, 0, 0, iov, 1);
                    if (task == IntPtr.Zero)
                    {
                        throw new InvalidOperationException($"read at {offset}: {Marshal.PtrToStringUTF8(iscsi_get_error(context))}");
                    }

                    var status = Marshal.ReadInt32(task); // struct scsi_task begins with int status
                    scsi_free_scsi_task(task);
                    if (status != 0)
                    {
                        throw new InvalidOperationException($"read at {offset}: SCSI status {status}");
                    }

                    unsafe
                    {
                        sink(offset, new ReadOnlySpan<byte>((void*)buffer, length));
                    }
                }
            }
            finally
            {
                Marshal.FreeHGlobal(iov);
                Marshal.FreeHGlobal(buffer);
            }

            iscsi_logout_sync(context);
        }
        finally
        {
            iscsi_destroy_context(context);
        }
    }

    /// <summary>Receives one chunk read at <paramref name="offset"/>; the span is valid during the call only.</summary>
    public delegate void ChunkSink(long offset, ReadOnlySpan<byte> chunk);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr iscsi_create_context(string initiatorName);

    [LibraryImport(Lib)]
    private static partial int iscsi_destroy_context(IntPtr context);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int iscsi_set_targetname(IntPtr context, string targetName);

    [LibraryImport(Lib)]
    private static partial int iscsi_set_session_type(IntPtr context, int type);

    [LibraryImport(Lib)]
    private static partial int iscsi_set_header_digest(IntPtr context, int digest);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int iscsi_set_initiator_username_pwd(IntPtr context, string user, string password);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int iscsi_set_target_username_pwd(IntPtr context, string user, string password);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int iscsi_full_connect_sync(IntPtr context, string portal, int lun);

    [LibraryImport(Lib)]
    private static partial IntPtr iscsi_get_error(IntPtr context);

    [LibraryImport(Lib)]
    private static partial IntPtr iscsi_read10_iov_sync(
        IntPtr context, int lun, uint lba, uint length, int blockSize, int rdprotect, int dpo, int fua, int fuaNv, int groupNumber, IntPtr iov, int niov);

    [LibraryImport(Lib)]
    private static partial void scsi_free_scsi_task(IntPtr task);

    [LibraryImport(Lib)]
    private static partial int iscsi_logout_sync(IntPtr context);
}
