namespace BladeProvisioner.Tftp.Protocol;

/// <summary>TFTP opcodes, RFC 1350 §5 and RFC 2347 (OACK).</summary>
internal enum TftpOpcode : ushort
{
    ReadRequest = 1,
    WriteRequest = 2,
    Data = 3,
    Ack = 4,
    Error = 5,
    OptionAck = 6,
}
