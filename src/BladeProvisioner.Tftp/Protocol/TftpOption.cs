namespace BladeProvisioner.Tftp.Protocol;

/// <summary>One option from a request, RFC 2347. <see cref="Name"/> is lower-cased; option names are case-insensitive.</summary>
internal readonly record struct TftpOption(string Name, string Value);
