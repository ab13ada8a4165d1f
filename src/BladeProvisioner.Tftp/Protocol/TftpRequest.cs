namespace BladeProvisioner.Tftp.Protocol;

/// <summary>A parsed RRQ or WRQ, RFC 1350 §5 with the options of RFC 2347.</summary>
internal sealed record TftpRequest(TftpOpcode Opcode, string FileName, TftpMode Mode, IReadOnlyList<TftpOption> Options);
