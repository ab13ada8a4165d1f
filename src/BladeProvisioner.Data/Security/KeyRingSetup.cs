using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;

namespace BladeProvisioner.Data.Security;

/// <summary>
/// Data Protection for secrets at rest: the key ring in a private directory (<see cref="PrivateXmlRepository"/>) and,
/// when the operator configures one, its master keys encrypted to the operator's certificate. A certificate that
/// cannot be loaded fails composition with the setting named; one that cannot decrypt the ring fails start
/// (<see cref="KeyRingCheck"/>).
/// </summary>
internal static class KeyRingSetup
{
    private const string PathKey = KeyRingOptions.Section + ":Certificate:Path";

    public static void AddKeyRing(IServiceCollection services, KeyRingOptions options, string defaultDirectory)
    {
        var directory = string.IsNullOrWhiteSpace(options.KeyDirectory) ? defaultDirectory : options.KeyDirectory;
        var builder = services.AddDataProtection().SetApplicationName("BladeProvisioner");
        services.Configure<KeyManagementOptions>(o => o.XmlRepository = new PrivateXmlRepository(directory));

        var cert = options.Certificate;
        X509Certificate2? current = null;
        if (!string.IsNullOrWhiteSpace(cert.Path))
        {
            current = Load(PathKey, cert.Path, PasswordOf(cert.PasswordFile, cert.Password, KeyRingOptions.Section + ":Certificate:PasswordFile"));
            var previous = cert.PreviousPaths.Select((path, i) => Load(
                $"{KeyRingOptions.Section}:Certificate:PreviousPaths:{i}",
                path,
                i < cert.PreviousPasswordFiles.Count
                    ? PasswordOf(cert.PreviousPasswordFiles[i], null, $"{KeyRingOptions.Section}:Certificate:PreviousPasswordFiles:{i}")
                    : null));
            builder.ProtectKeysWithCertificate(current);
            builder.UnprotectKeysWithAnyCertificate([current, .. previous]);
        }

        services.AddSingleton(new KeyRingCheck.Settings(directory, current?.Thumbprint));
        services.AddHostedService<KeyRingCheck>();
    }

    private static string? PasswordOf(string? file, string? inline, string fileKey)
    {
        if (string.IsNullOrWhiteSpace(file))
        {
            return string.IsNullOrEmpty(inline) ? null : inline;
        }

        try
        {
            return File.ReadAllText(file).TrimEnd('\r', '\n');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{fileKey}: '{file}' cannot be read: {ex.Message}", ex);
        }
    }

    private static X509Certificate2 Load(string key, string path, string? password)
    {
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{key}: certificate file '{path}' does not exist.");
        }

        X509Certificate2 cert;
        try
        {
            cert = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException ex)
        {
            throw new InvalidOperationException($"{key}: '{path}' is not a PKCS#12 file this password opens ({ex.Message}).", ex);
        }

        if (!cert.HasPrivateKey || cert.GetRSAPrivateKey() is null)
        {
            throw new InvalidOperationException($"{key}: '{path}' holds no RSA private key; the key ring could not be read back with it.");
        }

        return cert;
    }
}
