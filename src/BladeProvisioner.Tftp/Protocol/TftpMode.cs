namespace BladeProvisioner.Tftp.Protocol;

/// <summary>Transfer modes, RFC 1350 §1. "mail" is obsolete and refused.</summary>
internal enum TftpMode
{
    Octet,
    NetAscii,
    Mail,
}
