using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BladeProvisioner.Appliance.Hosting.Listeners;

/// <summary>
/// The management listener's certificate: the operator's (<c>Listeners:Management:CertificatePath</c>), or one made
/// here once — a self-signed ECDSA P-256 certificate in <c>&lt;DataDirectory&gt;/tls</c> (key file 0600, directory 0700)
/// — and reused at every start, so its fingerprint stays what an operator pinned. Its SHA-256 fingerprint is logged at start.
/// </summary>
internal static partial class ManagementCertificate
{
    public const string DirectoryName = "tls";
    public const string CertificateFileName = "management.crt";
    public const string KeyFileName = "management.key";

    private const UnixFileMode KeyMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private static readonly TimeSpan Validity = TimeSpan.FromDays(5 * 365);

    public static X509Certificate2 Obtain(ManagementListenerOptions options, string dataDirectory, TimeProvider time, ILogger logger)
    {
        if (!string.IsNullOrEmpty(options.CertificatePath))
        {
            var given = LoadGiven(options);
            LogInUse(logger, "configured", options.CertificatePath, Fingerprint(given), given.NotAfter.ToUniversalTime());
            return given;
        }

        var directory = Path.Combine(dataDirectory, DirectoryName);
        var certificatePath = Path.Combine(directory, CertificateFileName);
        var keyPath = Path.Combine(directory, KeyFileName);
        Directory.CreateDirectory(directory, DirectoryMode);
        File.SetUnixFileMode(directory, DirectoryMode);
        if (File.Exists(certificatePath) && File.Exists(keyPath))
        {
            if (File.GetUnixFileMode(keyPath) != KeyMode)
            {
                File.SetUnixFileMode(keyPath, KeyMode);
            }

            var kept = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            if (kept.NotAfter.ToUniversalTime() > time.GetUtcNow().UtcDateTime)
            {
                LogInUse(logger, "generated", certificatePath, Fingerprint(kept), kept.NotAfter.ToUniversalTime());
                return kept;
            }

            LogExpired(logger, certificatePath, Fingerprint(kept), kept.NotAfter.ToUniversalTime());
            kept.Dispose();
        }

        var made = Generate(options, time);
        WritePrivate(keyPath, made.Key);
        WritePrivate(certificatePath, made.Certificate);
        var loaded = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        LogGenerated(logger, certificatePath, Fingerprint(loaded), loaded.NotAfter.ToUniversalTime());
        return loaded;
    }

    /// <summary>SHA-256 of the DER certificate, as <c>AB:CD:…</c> (what <c>openssl x509 -fingerprint -sha256</c> prints).</summary>
    public static string Fingerprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return string.Join(':', SHA256.HashData(certificate.RawData).Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));
    }

    private static X509Certificate2 LoadGiven(ManagementListenerOptions options)
    {
        var path = options.CertificatePath!;
        try
        {
            var certificate = !string.IsNullOrEmpty(options.CertificateKeyPath)
                ? X509Certificate2.CreateFromPemFile(path, options.CertificateKeyPath)
                : X509CertificateLoader.LoadPkcs12FromFile(path, options.CertificatePassword);
            return certificate.HasPrivateKey
                ? certificate
                : throw new InvalidOperationException($"Listeners:Management:CertificatePath '{path}' carries no private key (give CertificateKeyPath or a PKCS#12 file).");
        }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException($"Listeners:Management:CertificatePath '{path}' cannot be read (wrong CertificatePassword?): {e.Message}", e);
        }
    }

    private static (string Certificate, string Key) Generate(ManagementListenerOptions options, TimeProvider time)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var host = Environment.MachineName;
        var request = new CertificateRequest(new X500DistinguishedName($"CN={host}, O=BladeProvisioner management"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var names = new SubjectAlternativeNameBuilder();
        foreach (var dns in new[] { "localhost", host }.Concat(options.Names.Where(n => !IPAddress.TryParse(n, out _))).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            names.AddDnsName(dns);
        }

        var addresses = new[] { IPAddress.Loopback, IPAddress.IPv6Loopback }
            .Concat(options.BoundAddresses().Where(a => !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any)))
            .Concat(options.Names.Select(n => IPAddress.TryParse(n, out var a) ? a : null).OfType<IPAddress>())
            .Distinct();
        foreach (var address in addresses)
        {
            names.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(names.Build());
        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now + Validity);
        return (certificate.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    /// <summary>Written 0600 from the first byte (never world-readable for a moment), then renamed into place.</summary>
    private static void WritePrivate(string path, string text)
    {
        var temporary = path + ".tmp";
        File.Delete(temporary);
        using (var stream = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = KeyMode }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    [LoggerMessage(EventId = ApplianceEventIds.ManagementCertificateInUse, Level = LogLevel.Information,
        Message = "Management listener certificate ({Source}) {Path}: SHA-256 fingerprint {Fingerprint}, valid until {NotAfter:O}")]
    private static partial void LogInUse(ILogger logger, string source, string path, string fingerprint, DateTime notAfter);

    [LoggerMessage(EventId = ApplianceEventIds.ManagementCertificateGenerated, Level = LogLevel.Warning,
        Message = "Generated a self-signed management certificate {Path}: SHA-256 fingerprint {Fingerprint}, valid until {NotAfter:O}; "
            + "check this fingerprint when a browser first connects, or give a CA-issued certificate in Listeners:Management:CertificatePath")]
    private static partial void LogGenerated(ILogger logger, string path, string fingerprint, DateTime notAfter);

    [LoggerMessage(EventId = ApplianceEventIds.ManagementCertificateExpired, Level = LogLevel.Warning,
        Message = "The generated management certificate {Path} (SHA-256 {Fingerprint}) expired at {NotAfter:O}; a new one is made and its fingerprint changes")]
    private static partial void LogExpired(ILogger logger, string path, string fingerprint, DateTime notAfter);
}
