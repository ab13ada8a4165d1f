namespace BladeProvisioner.Tftp.Protocol;

/// <summary>TFTP error codes, RFC 1350 appendix and RFC 2347 (code 8).</summary>
internal enum TftpErrorCode : ushort
{
    NotDefined = 0,
    FileNotFound = 1,
    AccessViolation = 2,
    DiskFull = 3,
    IllegalOperation = 4,
    UnknownTransferId = 5,
    FileExists = 6,
    NoSuchUser = 7,
    OptionNegotiationFailed = 8,
}
