namespace BladeProvisioner.Storage.Targets.Tgt.Ipc;

/// <summary>tgtd's answer codes, in the order of <c>enum tgtadm_errno</c> (tgt 1.0.85 usr/tgtadm_error.h): the wire carries the ordinal.</summary>
public enum TgtIpcError
{
    Success = 0,
    UnknownError,
    NoMemory,
    NoDriver,
    NoTarget,
    NoLun,
    NoSession,
    NoConnection,
    NoBinding,
    TargetExists,
    LunExists,
    BindingExists,
    AclExists,
    AclDoesNotExist,
    UserExists,
    NoUser,
    TooManyUsers,
    InvalidRequest,
    OutgoingAccountExists,
    TargetActive,
    LunActive,
    DriverActive,
    UnsupportedOperation,
    UnknownParameter,
    PreventRemoval,
}
