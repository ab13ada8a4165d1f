using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Web.Uploads;

/// <summary>What the admin declared when starting an upload; kept next to the partial file.</summary>
internal sealed record UploadInfo(string Id, string Name, string OperatingSystem, BootMode BootMode, string? Notes, long Length, string? FileName, string CreatedBy);
