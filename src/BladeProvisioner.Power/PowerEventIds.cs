namespace BladeProvisioner.Power;

/// <summary>
/// The Power module's <c>[LoggerMessage]</c> event ids, in one place so that they stay unique and stable (a test checks
/// uniqueness across every BladeProvisioner assembly). Never reuse or renumber one: log queries match on them.
/// </summary>
internal static class PowerEventIds
{
    // PowerControl
    public const int PowerRestartFailed = 7001;
    public const int PowerOffFailed = 7002;

    // Ipmi/IpmiDriver
    public const int IpmiDriverRestarted = 7101;
    public const int IpmiFailed = 7102;
    public const int IpmiDriverPoweredOff = 7103;

    // Redfish/RedfishDriver
    public const int RedfishDriverRestarted = 7201;
    public const int RedfishDriverPoweredOff = 7202;
}
