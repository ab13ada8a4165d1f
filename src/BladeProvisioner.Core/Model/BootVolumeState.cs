namespace BladeProvisioner.Core.Model;

/// <summary>
/// Intent is recorded first (Pending), the bytes follow (Cloning), then verification (Verifying);
/// only a Ready volume is ever exported (Exported). Deleting is the decommission path.
/// </summary>
public enum BootVolumeState
{
    Pending,
    Cloning,
    Verifying,
    Ready,
    Exported,
    Failed,
    Deleting,
}
