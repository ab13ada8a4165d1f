using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Storage.Images;

/// <summary>Section <c>Storage:Images</c>.</summary>
public sealed class ImageStoreOptions
{
    public const string Section = "Storage:Images";

    /// <summary>Where donor image versions live (raw sparse files). Empty: &lt;data directory&gt;/images.</summary>
    public string? Directory { get; set; }

    /// <summary>
    /// Directories an import-by-path may read from. An admin cannot make the appliance read /etc/shadow into an image.
    /// Empty: &lt;data directory&gt;/incoming only.
    /// </summary>
    public List<string> ImportRoots { get; set; } = [];

    /// <summary>Cap on bytes per second read by an import; null = none.</summary>
    [Range(1L << 20, long.MaxValue)]
    public long? ImportBytesPerSecondLimit { get; set; }

    public const long DefaultQemuImgMemoryLimit = 1L << 30;

    /// <summary>
    /// Address space a qemu-img run may use (prlimit --as), so a crafted image cannot make it exhaust the appliance's
    /// memory. qemu-img needs far less than the default for info and convert.
    /// </summary>
    [Range(256L << 20, long.MaxValue)]
    public long QemuImgMemoryLimit { get; set; } = DefaultQemuImgMemoryLimit;

    /// <summary>Timeout for a qemu-img conversion (also its CPU-time limit).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan ConvertTimeout { get; set; } = TimeSpan.FromHours(2);
}
