using System.Net;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Appliance.Hosting.Listeners;

/// <summary>Names the bad key: an address that is none, a port out of range, both listeners on one endpoint, half a certificate.</summary>
internal sealed class ListenersOptionsValidator : IValidateOptions<ListenersOptions>
{
    public ValidateOptionsResult Validate(string? name, ListenersOptions options)
    {
        var errors = new List<string>();
        Check("Provisioning", options.Provisioning, errors);
        Check("Management", options.Management, errors);
        if (errors.Count == 0)
        {
            var shared = options.Provisioning.BoundAddresses().Where(a => options.Management.BoundAddresses().Any(b => Overlap(a, b))).ToList();
            if (options.Provisioning.Port == options.Management.Port && shared.Count > 0)
            {
                errors.Add($"Listeners:Provisioning and Listeners:Management must not share an address and port ({shared[0]}:{options.Management.Port}).");
            }
        }

        var m = options.Management;
        if (!string.IsNullOrEmpty(m.CertificatePath) && !File.Exists(m.CertificatePath))
        {
            errors.Add($"Listeners:Management:CertificatePath: no such file '{m.CertificatePath}'.");
        }

        if (string.IsNullOrEmpty(m.CertificatePath) && (!string.IsNullOrEmpty(m.CertificateKeyPath) || !string.IsNullOrEmpty(m.CertificatePassword)))
        {
            errors.Add("Listeners:Management:CertificateKeyPath and CertificatePassword need Listeners:Management:CertificatePath.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Check(string section, ListenerOptions listener, List<string> errors)
    {
        if (listener.Port is < 1 or > 65535)
        {
            errors.Add($"Listeners:{section}:Port must be 1-65535 (is {listener.Port}).");
        }

        for (var i = 0; i < listener.Addresses.Count; i++)
        {
            if (!IPAddress.TryParse(listener.Addresses[i].Trim('[', ']'), out _))
            {
                errors.Add($"Listeners:{section}:Addresses:{i} must be an IP address (is '{listener.Addresses[i]}').");
            }
        }

        for (var i = 0; i < listener.Names.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(listener.Names[i]) || listener.Names[i].Contains('*', StringComparison.Ordinal))
            {
                errors.Add($"Listeners:{section}:Names:{i} must be a host name or address, no wildcard (is '{listener.Names[i]}').");
            }
        }
    }

    private static bool Overlap(IPAddress a, IPAddress b) =>
        a.Equals(b) || a.Equals(IPAddress.Any) || b.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any) || b.Equals(IPAddress.IPv6Any);
}
