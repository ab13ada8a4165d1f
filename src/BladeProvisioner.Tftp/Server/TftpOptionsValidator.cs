using System.Net;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Tftp.Server;

/// <summary>Cross-field checks that data annotations cannot express; messages name the configuration key.</summary>
internal sealed class TftpOptionsValidator : IValidateOptions<TftpOptions>
{
    public ValidateOptionsResult Validate(string? name, TftpOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        if (options.Interfaces.Count == 0 && string.IsNullOrWhiteSpace(options.ListenAddress))
        {
            failures.Add("Tftp:Interfaces is empty: name the provisioning interfaces TFTP serves (or set Tftp:Enabled=false).");
        }

        if (options.Interfaces.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("Tftp:Interfaces contains an empty interface name.");
        }

        if (!string.IsNullOrWhiteSpace(options.ListenAddress) && !IPAddress.TryParse(options.ListenAddress, out _))
        {
            failures.Add($"Tftp:ListenAddress '{options.ListenAddress}' is not an IP address.");
        }

        if (string.IsNullOrWhiteSpace(options.Root) || !Path.IsPathFullyQualified(options.Root))
        {
            failures.Add($"Tftp:Root '{options.Root}' must be an absolute directory path.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
