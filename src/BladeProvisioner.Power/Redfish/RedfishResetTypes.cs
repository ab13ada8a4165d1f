namespace BladeProvisioner.Power.Redfish;

/// <summary>Picks a ComputerSystem.Reset type (Redfish ResetType enum) the BMC says it allows.</summary>
internal static class RedfishResetTypes
{
    private static readonly string[] WhenOff = ["On", "ForceOn", "PowerCycle"];
    private static readonly string[] ForReset = ["ForceRestart", "PowerCycle", "GracefulRestart"];
    private static readonly string[] ForCycle = ["PowerCycle", "ForceRestart", "GracefulRestart"];

    /// <returns>The reset type, or null when none the appliance can use is allowed.</returns>
    public static string? Choose(PowerState state, RestartMethod method, IReadOnlyList<string>? allowable)
    {
        var preference = state == PowerState.Off ? WhenOff : method == RestartMethod.Cycle ? ForCycle : ForReset;
        if (allowable is null || allowable.Count == 0)
        {
            // The BMC does not say: ForceRestart (or On) is mandatory-in-practice on every Redfish service seen.
            return preference[0];
        }

        foreach (var candidate in preference)
        {
            if (allowable.Contains(candidate, StringComparer.Ordinal))
            {
                return candidate;
            }
        }

        return null;
    }
}
