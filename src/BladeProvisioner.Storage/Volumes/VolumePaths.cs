using BladeProvisioner.Core.Configuration;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Storage.Volumes;

/// <summary>Where a blade's volume file goes.</summary>
public sealed class VolumePaths(IOptions<VolumeOptions> options, IOptions<ApplianceOptions> appliance)
{
    public string Root => Path.GetFullPath(options.Value.Directory is { Length: > 0 } d ? d : appliance.Value.PathUnderData("volumes"));

    /// <summary>A new, never reused name per volume: a file of a decommissioned blade can never be exported again by mistake.</summary>
    public string NewPathFor(long bladeId) => Path.Combine(Root, $"blade-{bladeId}-{Guid.NewGuid().ToString("N")[..12]}.raw");
}
