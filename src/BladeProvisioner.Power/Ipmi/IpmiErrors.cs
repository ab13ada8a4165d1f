namespace BladeProvisioner.Power.Ipmi;

/// <summary>
/// Turns ipmitool's words (run with <c>-v</c>) into a stable code. ipmitool says "Unable to establish IPMI v2 / RMCP+
/// session" for both a wrong password and a silent BMC; only the verbose lines before it tell the two apart.
/// </summary>
internal static class IpmiErrors
{
    private static readonly (string Needle, string Code, string Meaning)[] Rules =
    [
        ("unable to read password", PowerErrorCodes.NotConfigured, "no BMC password was given"),
        ("rakp 2 hmac is invalid", PowerErrorCodes.AuthFailed, "the BMC refused the password"),
        ("unauthorized name", PowerErrorCodes.AuthFailed, "the BMC does not know this user name"),
        ("invalid session", PowerErrorCodes.AuthFailed, "the BMC refused the session"),
        ("authentication type", PowerErrorCodes.AuthFailed, "the BMC refused the authentication type"),
        ("insufficient privilege", PowerErrorCodes.PermissionDenied, "the BMC account may not control power"),
        ("requested privilege level", PowerErrorCodes.PermissionDenied, "the BMC account may not take the requested privilege level"),
        ("address lookup", PowerErrorCodes.Unreachable, "the BMC host name does not resolve"),
        ("could not open socket", PowerErrorCodes.Unreachable, "no socket could be opened to the BMC"),
        ("get auth capabilities error", PowerErrorCodes.Unreachable, "the BMC did not answer"),
        ("no response", PowerErrorCodes.Unreachable, "the BMC did not answer"),
        ("unable to establish", PowerErrorCodes.Unreachable, "no IPMI session could be established"),
        ("invalid data field", PowerErrorCodes.CommandFailed, "the BMC rejected the command"),
        ("invalid command", PowerErrorCodes.CommandFailed, "the BMC does not support the command"),
        ("failed", PowerErrorCodes.CommandFailed, "the BMC rejected the command"),
    ];

    public static PowerException Classify(string operation, string output)
    {
        var lower = output.ToLowerInvariant();
        foreach (var (needle, code, meaning) in Rules)
        {
            if (lower.Contains(needle, StringComparison.Ordinal))
            {
                return new PowerException(code, $"IPMI {operation} failed: {meaning} ({LastLine(output)}).");
            }
        }

        return new PowerException(PowerErrorCodes.CommandFailed, $"IPMI {operation} failed: {LastLine(output)}.");
    }

    /// <summary>The last non-empty line, trimmed: ipmitool puts its conclusion there.</summary>
    internal static string LastLine(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var last = lines.Length == 0 ? "no output" : lines[^1];
        return last.Length > 200 ? last[..200] : last;
    }
}
