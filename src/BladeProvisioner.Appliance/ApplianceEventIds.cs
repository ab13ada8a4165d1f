namespace BladeProvisioner.Appliance;

/// <summary>
/// The Appliance module's <c>[LoggerMessage]</c> event ids, in one place so that they stay unique and stable (a test checks
/// uniqueness across every BladeProvisioner assembly). Never reuse or renumber one: log queries match on them.
/// </summary>
internal static class ApplianceEventIds
{
    // Hosting/IpxeBinaries
    public const int IpxeMissing = 101;
    public const int IpxeCopied = 102;

    // Hosting/Listeners
    public const int ManagementCertificateInUse = 111;
    public const int ManagementCertificateGenerated = 112;
    public const int ManagementCertificateExpired = 113;
    public const int ForeignHostRefused = 114;
    public const int ListenersBound = 115;

    // Hosting/Readiness/ReadinessMonitor
    public const int ReadinessProbeFailed = 121;
    public const int ReadinessDependencyDown = 122;
    public const int ReadinessDependencyUp = 123;
    public const int ReadinessClosed = 124;
    public const int ReadinessReopened = 125;
}
