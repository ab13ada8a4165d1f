namespace BladeProvisioner.Core.Model;

/// <summary>The format an image arrived in. The store itself always holds raw sparse files.</summary>
public enum ImageFormat
{
    Raw,
    Qcow2,
    Vmdk,
    Vhd,
    Vhdx,
}
