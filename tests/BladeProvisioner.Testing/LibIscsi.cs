using System.Runtime.InteropServices;

namespace BladeProvisioner.Testing;

/// <summary>
/// The part of libiscsi (libiscsi-bin's libiscsi.so.7) the tests' initiators use: a blade's OS reading its LUN
/// (<see cref="LunReader"/>) and writing to it through faults (the data-plane tests' writer), with the blade's IQN and CHAP.
/// </summary>
public static partial class LibIscsi
{
    public const string Lib = "libiscsi.so.7";

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr iscsi_create_context(string initiatorName);

    [LibraryImport(Lib)]
    public static partial int iscsi_destroy_context(IntPtr context);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int iscsi_set_targetname(IntPtr context, string targetName);

    [LibraryImport(Lib)]
    public static partial int iscsi_set_session_type(IntPtr context, int type);

    [LibraryImport(Lib)]
    public static partial int iscsi_set_header_digest(IntPtr context, int digest);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int iscsi_set_initiator_username_pwd(IntPtr context, string user, string password);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int iscsi_set_target_username_pwd(IntPtr context, string user, string password);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int iscsi_full_connect_sync(IntPtr context, string portal, int lun);

    [LibraryImport(Lib)]
    public static partial IntPtr iscsi_get_error(IntPtr context);

    [LibraryImport(Lib)]
    public static partial IntPtr iscsi_read10_iov_sync(
        IntPtr context, int lun, uint lba, uint length, int blockSize, int rdprotect, int dpo, int fua, int fuaNv, int groupNumber, IntPtr iov, int niov);

    [LibraryImport(Lib)]
    public static partial void scsi_free_scsi_task(IntPtr task);

    [LibraryImport(Lib)]
    public static partial int iscsi_logout_sync(IntPtr context);

    [LibraryImport(Lib)]
    public static partial void iscsi_set_noautoreconnect(IntPtr context, int state);

    [LibraryImport(Lib)]
    public static partial IntPtr iscsi_write10_sync(
        IntPtr context, int lun, uint lba, byte[] data, uint length, int blockSize, int wrprotect, int dpo, int fua, int fuaNv, int groupNumber);

    [LibraryImport(Lib)]
    public static partial void iscsi_set_reconnect_max_retries(IntPtr context, int count);

    [LibraryImport(Lib)]
    public static partial void iscsi_set_no_ua_on_reconnect(IntPtr context, int state);
}
