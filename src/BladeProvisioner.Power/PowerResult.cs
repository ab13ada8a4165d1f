using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Power;

/// <param name="Kind">The driver that acted.</param>
/// <param name="Action">What was done, in the driver's words: <c>reset</c>, <c>cycle</c>, <c>on</c>, <c>ForceRestart</c>, <c>in-band</c>.</param>
/// <param name="BootOverrideSet">The next boot was set to PXE.</param>
/// <param name="Message">One sentence for the blade's timeline.</param>
public sealed record PowerResult(PowerDriverKind Kind, string Action, bool BootOverrideSet, string Message)
{
    public TimeSpan Elapsed { get; init; }
}
