using BladeProvisioner.Dhcp.Scopes;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Dhcp.Configuration;

/// <summary>Start-up checks beyond data annotations: scopes (overlaps, ranges, duplicate reservations) and interfaces.</summary>
internal sealed class DhcpOptionsValidator : IValidateOptions<DhcpOptions>
{
    public ValidateOptionsResult Validate(string? name, DhcpOptions options)
    {
        var errors = Check(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static List<string> Check(DhcpOptions options)
    {
        var errors = new List<string>();
        ScopeTable.TryCompile(options.Scopes, errors);
        if (!options.Enabled)
        {
            return errors;
        }

        if (options.Interfaces.Count == 0)
        {
            errors.Add("Dhcp:Interfaces: at least one provisioning interface is required when Dhcp:Enabled is true.");
        }

        if (options.Mode == DhcpMode.Server && options.Scopes.Count == 0)
        {
            errors.Add("Dhcp:Scopes: at least one scope is required in Server mode.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < options.Interfaces.Count; i++)
        {
            var itf = options.Interfaces[i];
            if (string.IsNullOrWhiteSpace(itf.Name) || itf.Name.Length > 15)
            {
                errors.Add($"Dhcp:Interfaces:{i}:Name '{itf.Name}' is not an interface name (1-15 characters).");
            }
            else if (!seen.Add(itf.Name))
            {
                errors.Add($"Dhcp:Interfaces:{i}:Name '{itf.Name}' is listed twice.");
            }

            if (itf.ServerAddress is not null && !Ipv4.TryParse(itf.ServerAddress, out _))
            {
                errors.Add($"Dhcp:Interfaces:{i}:ServerAddress '{itf.ServerAddress}' is not an IPv4 address.");
            }
        }

        for (int i = 0; i < options.TrustedRelays.Count; i++)
        {
            var relay = options.TrustedRelays[i];
            if (!Ipv4.TryParse(relay, out var address) || address == 0 || address == uint.MaxValue)
            {
                errors.Add($"Dhcp:TrustedRelays:{i} '{relay}' is not a relay agent's IPv4 address.");
            }
        }

        foreach (var (key, url) in new[] { ("Dhcp:BootScriptUrl", options.BootScriptUrl), ("Dhcp:HttpBootBaseUrl", options.HttpBootBaseUrl) })
        {
            if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps)))
            {
                errors.Add($"{key} '{url}' is not an absolute http(s) URL.");
            }
        }

        return errors;
    }
}
