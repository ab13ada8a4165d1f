using System.Globalization;
using BladeProvisioner.Core.Configuration;

namespace BladeProvisioner.Core.Naming;

/// <summary>
/// Makes the appliance's names from its domain and naming-authority date:
/// target <c>iqn.2026-11.com.example.bp:blade.17</c>, initiator <c>iqn.2026-11.com.example.bp:initiator.525400abcdef</c>.
/// </summary>
public sealed class IqnFactory
{
    private readonly string _prefix;

    /// <param name="domain">The appliance's DNS domain, e.g. <c>bp.example.com</c>.</param>
    /// <param name="authorityDate">A date the domain was held; only year and month are used.</param>
    public IqnFactory(string domain, DateOnly authorityDate)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(domain);
        var labels = domain.Trim().TrimEnd('.').ToLowerInvariant().Split('.');
        Array.Reverse(labels);
        _prefix = string.Create(
            CultureInfo.InvariantCulture,
            $"iqn.{authorityDate.Year:D4}-{authorityDate.Month:D2}.{string.Join('.', labels)}");
        var problem = Iqn.Validate(_prefix);
        if (problem is not null)
        {
            throw new ArgumentException($"Domain '{domain}' does not make a valid IQN: {problem}.", nameof(domain));
        }
    }

    /// <summary>The factory for the appliance's configured domain and naming-authority date.</summary>
    public static IqnFactory For(ApplianceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var date = DateOnly.ParseExact(options.NamingAuthorityDate + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture);
        return new IqnFactory(options.Domain, date);
    }

    public string Prefix => _prefix;

    public string Target(long bladeId) => string.Create(CultureInfo.InvariantCulture, $"{_prefix}:blade.{bladeId}");

    public string Initiator(MacAddress mac) => $"{_prefix}:initiator.{mac.ToCompactString()}";

    public string Initiator(string normalizedMac) => $"{_prefix}:initiator.{MacAddressText.Compact(normalizedMac)}";
}
