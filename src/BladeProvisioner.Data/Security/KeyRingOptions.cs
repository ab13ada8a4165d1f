namespace BladeProvisioner.Data.Security;

/// <summary>Section <c>DataProtection</c>: the key ring that encrypts CHAP secrets and BMC passwords at rest.</summary>
public sealed class KeyRingOptions
{
    public const string Section = "DataProtection";

    /// <summary>Directory of the key ring; nodes of a cluster must share it. Empty: <c>&lt;DataDirectory&gt;/keys</c>.</summary>
    public string? KeyDirectory { get; set; }

    /// <summary>The operator's certificate that encrypts the key ring's master keys. Unset: file permissions only.</summary>
    public KeyRingCertificateOptions Certificate { get; set; } = new();
}
