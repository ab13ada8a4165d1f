namespace BladeProvisioner.Data.Security;

/// <summary>
/// Section <c>DataProtection:Certificate</c>: a PKCS#12 file (certificate and private key) that the operator owns.
/// New master keys are encrypted to it; keys encrypted to a previous certificate stay readable through
/// <see cref="PreviousPaths"/> while the certificate is rotated.
/// </summary>
public sealed class KeyRingCertificateOptions
{
    /// <summary>The .pfx/.p12 file. Unset: the key ring is protected only by file permissions (a warning at start).</summary>
    public string? Path { get; set; }

    /// <summary>File holding the PKCS#12 password (one line). Preferred over <see cref="Password"/>.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>The password itself; meant for the environment (<c>DataProtection__Certificate__Password</c>), not appsettings.</summary>
    public string? Password { get; set; }

    /// <summary>Earlier certificates (same password rules: <c>PreviousPasswordFiles</c> by index, else none): they only decrypt.</summary>
    public List<string> PreviousPaths { get; set; } = [];

    /// <summary>Password files for <see cref="PreviousPaths"/>, by index; a missing entry means no password.</summary>
    public List<string> PreviousPasswordFiles { get; set; } = [];
}
