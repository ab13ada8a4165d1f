using System.Net;

namespace BladeProvisioner.Tftp;

/// <summary>A read request as a provider sees it: the checked relative path and the client that asked.</summary>
public sealed record TftpFileRequest(string Path, IPEndPoint Client);
