using BladeProvisioner.Core.Security;
using Microsoft.AspNetCore.DataProtection;

namespace BladeProvisioner.Data.Security;

/// <summary>
/// Secrets at rest (CHAP, BMC passwords) go through ASP.NET Core Data Protection: authenticated encryption with a key
/// ring kept in the appliance's data directory (or a shared path for a cluster), rotated by the framework.
/// </summary>
internal sealed class DataProtectionSecretProtector(IDataProtectionProvider provider) : ISecretProtector
{
    private readonly IDataProtector _protector = provider.CreateProtector("BladeProvisioner.Secrets.v1");

    public string Protect(string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        return _protector.Protect(secret);
    }

    public string Unprotect(string protectedSecret)
    {
        ArgumentException.ThrowIfNullOrEmpty(protectedSecret);
        return _protector.Unprotect(protectedSecret);
    }
}
