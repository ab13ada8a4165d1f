namespace BladeProvisioner.Tftp;

/// <summary>
/// Produces a file for one TFTP read request, e.g. a per-blade generated file. Providers registered in DI are
/// asked in registration order before the root directory; the first non-null answer is served. The path has
/// already passed the server's safety checks (relative, no "..", no backslash, no NUL, within the length limit).
/// </summary>
public interface ITftpFileProvider
{
    /// <summary>Returns the file to serve, or null when this provider has nothing for the request.</summary>
    ValueTask<TftpFile?> OpenAsync(TftpFileRequest request, CancellationToken cancellationToken);
}
