using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Storage.Images;

/// <summary>An import of a file already on the appliance (the web UI's upload ends in one of these too).</summary>
public sealed record ImportImageRequest(string Name, string OperatingSystem, BootMode BootMode, string SourcePath)
{
    public string? Notes { get; init; }
    public string? CreatedBy { get; init; }

    /// <summary>Remove the source file once imported (uploads do; an admin's own file is left alone).</summary>
    public bool DeleteSourceAfterImport { get; init; }
}
