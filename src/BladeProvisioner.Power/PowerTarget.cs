namespace BladeProvisioner.Power;

/// <summary>
/// The BMC of one blade. <paramref name="Password"/> is plain text, decrypted by the caller just before use; it is
/// never logged (<see cref="ToString"/> hides it) and never placed on a command line.
/// </summary>
/// <param name="BladeId">The blade the BMC belongs to (for logs and the timeline).</param>
/// <param name="BmcAddress">
/// <c>host</c>, <c>host:port</c>, <c>[v6]:port</c>; for Redfish also a URL (<c>https://bmc:8443</c>), optionally naming
/// the system (<c>https://bmc/redfish/v1/Systems/2</c>) when a BMC manages more than one.
/// </param>
/// <param name="Username">The BMC user.</param>
/// <param name="Password">The BMC password in plain text.</param>
public sealed record PowerTarget(long BladeId, string? BmcAddress, string? Username, string? Password)
{
    /// <summary>
    /// Redfish only: the SHA-256 of a BMC's self-signed certificate that this blade's operator chose to trust
    /// (hex, colons allowed). An explicit, per-blade opt-in; any other untrusted certificate is still refused.
    /// </summary>
    public string? TrustedCertificateSha256 { get; init; }

    public override string ToString() =>
        $"PowerTarget {{ BladeId = {BladeId}, BmcAddress = {BmcAddress}, Username = {Username}, Password = {(Password is null ? "(none)" : "***")} }}";
}
