namespace BladeProvisioner.Appliance.Hosting.Listeners;

/// <summary>The HTTPS listener of the UI and the API, with the operator's certificate or a generated one.</summary>
internal sealed class ManagementListenerOptions : ListenerOptions
{
    /// <summary>A PKCS#12 file (with <see cref="CertificatePassword"/>) or a PEM certificate (with <see cref="CertificateKeyPath"/>).</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>The PEM private key of a PEM <see cref="CertificatePath"/>.</summary>
    public string? CertificateKeyPath { get; set; }
}
