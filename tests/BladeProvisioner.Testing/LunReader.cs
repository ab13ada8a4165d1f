using System.Runtime.InteropServices;
using static BladeProvisioner.Testing.LibIscsi;

namespace BladeProvisioner.Testing;

/// <summary>
/// Reads a LUN as an initiator would, through libiscsi with CHAP (both ways when a mutual user is given): a blade's OS
/// reading its disk, READ(10) into a caller-owned buffer (scsi_iovec), 64 KiB at a time.
/// </summary>
public static class LunReader
{

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
}
