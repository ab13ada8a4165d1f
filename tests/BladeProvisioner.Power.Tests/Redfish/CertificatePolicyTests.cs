using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BladeProvisioner.Power.Redfish;

namespace BladeProvisioner.Power.Tests.Redfish;

public sealed class CertificatePolicyTests
{
    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=bmc-17.lab.example", key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private static string ColonHex(X509Certificate2 cert) =>
        string.Join(':', SHA256.HashData(cert.RawData).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void TrustedCertificateIsAccepted()
    {
        using var cert = SelfSigned();
        Assert.True(CertificatePolicy.IsAcceptable(SslPolicyErrors.None, cert, pinnedSha256: null, allowInsecure: false));
    }

    [Fact]
    public void SelfSignedCertificateIsRefusedWithoutAPin()
    {
        using var cert = SelfSigned();
        Assert.False(CertificatePolicy.IsAcceptable(SslPolicyErrors.RemoteCertificateChainErrors, cert, pinnedSha256: null, allowInsecure: false));
    }

    [Fact]
    public void SelfSignedCertificateIsAcceptedWhenThisBladePinnedIt()
    {
        using var cert = SelfSigned();
        var errors = SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch;
        Assert.True(CertificatePolicy.IsAcceptable(errors, cert, ColonHex(cert), allowInsecure: false));
        Assert.True(CertificatePolicy.IsAcceptable(errors, cert, ColonHex(cert).Replace(":", string.Empty, StringComparison.Ordinal).ToLowerInvariant(), allowInsecure: false));
    }

    [Fact]
    public void AnotherCertificateIsRefusedEvenWithAPin()
    {
        using var pinned = SelfSigned();
        using var presented = SelfSigned();
        Assert.False(CertificatePolicy.IsAcceptable(SslPolicyErrors.RemoteCertificateChainErrors, presented, ColonHex(pinned), allowInsecure: false));
    }

    [Fact]
    public void InsecureSwitchAcceptsAnything()
    {
        using var cert = SelfSigned();
        Assert.True(CertificatePolicy.IsAcceptable(SslPolicyErrors.RemoteCertificateChainErrors, cert, pinnedSha256: null, allowInsecure: true));
    }
}
