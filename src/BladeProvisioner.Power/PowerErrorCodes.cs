namespace BladeProvisioner.Power;

/// <summary>Stable codes carried by <see cref="PowerException"/>. Clients match on these; never rename one.</summary>
public static class PowerErrorCodes
{
    /// <summary>The blade has no BMC address or credentials, or the address cannot be parsed.</summary>
    public const string NotConfigured = "BMC_NOT_CONFIGURED";

    /// <summary>No answer from the BMC (name lookup, connection refused, no RMCP+ reply).</summary>
    public const string Unreachable = "BMC_UNREACHABLE";

    /// <summary>The BMC did not finish answering within the configured timeout.</summary>
    public const string Timeout = "BMC_TIMEOUT";

    /// <summary>The BMC refused the user name or password.</summary>
    public const string AuthFailed = "BMC_AUTH_FAILED";

    /// <summary>The credentials were accepted but the account may not control power.</summary>
    public const string PermissionDenied = "BMC_PERMISSION_DENIED";

    /// <summary>The BMC's TLS certificate is not trusted (and was not pinned for this blade).</summary>
    public const string CertificateUntrusted = "BMC_CERTIFICATE_UNTRUSTED";

    /// <summary>The BMC has no such resource (system, action), or several systems and none was named.</summary>
    public const string ResourceNotFound = "BMC_RESOURCE_NOT_FOUND";

    /// <summary>The BMC offers no reset type or boot override the appliance can use.</summary>
    public const string Unsupported = "BMC_UNSUPPORTED";

    /// <summary>The BMC rejected a command or failed internally (IPMI completion code, HTTP 4xx/5xx).</summary>
    public const string CommandFailed = "BMC_COMMAND_FAILED";

    /// <summary>The BMC's answer could not be understood.</summary>
    public const string ProtocolError = "BMC_PROTOCOL_ERROR";

    /// <summary>The power tool (ipmitool) is not installed on the appliance.</summary>
    public const string ToolMissing = "POWER_TOOL_MISSING";

    /// <summary>The BMC accepted a power-off but the blade did not report off within the wait.</summary>
    public const string StillOn = "BMC_STILL_ON";

    /// <summary>No driver is registered for the blade's power driver kind.</summary>
    public const string DriverUnavailable = "POWER_DRIVER_UNAVAILABLE";
}
