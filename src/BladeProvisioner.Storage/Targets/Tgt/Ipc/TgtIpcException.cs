namespace BladeProvisioner.Storage.Targets.Tgt.Ipc;

/// <summary>
/// A management request to tgtd failed: tgtd refused it (<see cref="Error"/> set) or the socket failed (<see cref="Error"/>
/// null). The message names the operation and the account or target, never a password.
/// </summary>
public sealed class TgtIpcException : Exception
{
    public TgtIpcException(string operation, TgtIpcError? error, string detail, Exception? innerException = null)
        : base($"tgtd {operation}: {detail}", innerException)
    {
        Operation = operation;
        Error = error;
    }

    public TgtIpcException()
        : this("(unknown)", null, "failed")
    {
    }

    public TgtIpcException(string message)
        : this("(unknown)", null, message)
    {
    }

    public TgtIpcException(string message, Exception innerException)
        : this("(unknown)", null, message, innerException)
    {
    }

    /// <summary>What was asked, e.g. <c>account new user=bp-blade-1</c>.</summary>
    public string Operation { get; } = "(unknown)";

    /// <summary>tgtd's refusal; null when no answer came (no tgtd, closed or malformed reply, timeout).</summary>
    public TgtIpcError? Error { get; }

    /// <summary>tgtd's own wording (usr/tgtadm.c), so logs read like tgtadm's.</summary>
    public static string Describe(TgtIpcError error) => error switch
    {
        TgtIpcError.NoMemory => "out of memory",
        TgtIpcError.NoDriver => "can't find the driver",
        TgtIpcError.NoTarget => "can't find the target",
        TgtIpcError.NoLun => "can't find the logical unit",
        TgtIpcError.NoSession => "can't find the session",
        TgtIpcError.NoConnection => "can't find the connection",
        TgtIpcError.NoBinding => "can't find the binding",
        TgtIpcError.TargetExists => "this target already exists",
        TgtIpcError.LunExists => "this logical unit number already exists",
        TgtIpcError.BindingExists => "this binding already exists",
        TgtIpcError.AclExists => "this access control rule already exists",
        TgtIpcError.AclDoesNotExist => "this access control rule does not exist",
        TgtIpcError.UserExists => "this account already exists",
        TgtIpcError.NoUser => "can't find the account",
        TgtIpcError.TooManyUsers => "too many accounts",
        TgtIpcError.InvalidRequest => "invalid request",
        TgtIpcError.OutgoingAccountExists => "this target already has an outgoing account",
        TgtIpcError.TargetActive => "this target is still active",
        TgtIpcError.LunActive => "this logical unit is still active",
        TgtIpcError.DriverActive => "this driver is busy",
        TgtIpcError.UnsupportedOperation => "this operation isn't supported",
        TgtIpcError.UnknownParameter => "unknown parameter",
        TgtIpcError.PreventRemoval => "this device has Prevent Removal set",
        _ => "unknown error",
    };
}
