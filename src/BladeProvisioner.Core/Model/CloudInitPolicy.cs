namespace BladeProvisioner.Core.Model;

/// <summary>Whether clones of an image get a cloud-init NoCloud seed LUN (docs/operations.md, "cloud-init").</summary>
public enum CloudInitPolicy
{
    /// <summary>A seed when the clone's root has cloud-init (<c>/usr/bin/cloud-init</c> or <c>/etc/cloud/cloud.cfg</c>).</summary>
    Auto,

    /// <summary>Always a seed (a root the appliance cannot read offline, e.g. XFS before it could).</summary>
    On,

    /// <summary>Never a seed.</summary>
    Off,
}
