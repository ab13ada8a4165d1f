namespace BladeProvisioner.Tftp.Files;

internal enum FileLookupStatus
{
    Found,
    NotFound,
    AccessViolation,
}

/// <summary>The answer of the provider chain: a file to serve, or why there is none.</summary>
internal readonly record struct FileLookup(FileLookupStatus Status, TftpFile? File, string Reason)
{
    public static FileLookup NotFound { get; } = new(FileLookupStatus.NotFound, null, "file not found");

    public static FileLookup Found(TftpFile file) => new(FileLookupStatus.Found, file, string.Empty);

    public static FileLookup Denied(string reason) => new(FileLookupStatus.AccessViolation, null, reason);
}
