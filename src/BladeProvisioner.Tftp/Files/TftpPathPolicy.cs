namespace BladeProvisioner.Tftp.Files;

/// <summary>Why a requested name was refused before any file system access.</summary>
internal enum TftpPathVerdict
{
    Ok,
    TooLong,
    ContainsNul,
    ContainsBackslash,
    Absolute,
    ParentSegment,
}

/// <summary>
/// The first line of defence for requested names: only relative, forward-slash names without ".." segments,
/// NUL bytes or excess length reach a provider. Symlinks and file types are checked where the file is opened.
/// </summary>
internal static class TftpPathPolicy
{
    public static TftpPathVerdict Check(string name, int maxLength)
    {
        if (name.Length > maxLength)
        {
            return TftpPathVerdict.TooLong;
        }

        if (name.Contains('\0', StringComparison.Ordinal))
        {
            return TftpPathVerdict.ContainsNul;
        }

        if (name.Contains('\\', StringComparison.Ordinal))
        {
            return TftpPathVerdict.ContainsBackslash;
        }

        if (name.StartsWith('/'))
        {
            return TftpPathVerdict.Absolute;
        }

        foreach (var segment in name.Split('/'))
        {
            if (segment == "..")
            {
                return TftpPathVerdict.ParentSegment;
            }
        }

        return TftpPathVerdict.Ok;
    }

    public static string Describe(TftpPathVerdict verdict) => verdict switch
    {
        TftpPathVerdict.TooLong => "file name too long",
        TftpPathVerdict.ContainsNul => "NUL byte in file name",
        TftpPathVerdict.ContainsBackslash => "backslash in file name",
        TftpPathVerdict.Absolute => "absolute paths are not served",
        TftpPathVerdict.ParentSegment => "'..' is not allowed in file names",
        _ => "ok",
    };
}
