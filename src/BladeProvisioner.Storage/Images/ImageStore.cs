using BladeProvisioner.Core.Configuration;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Storage.Images;

/// <summary>Paths of the image store: one immutable raw file per image version.</summary>
public sealed class ImageStore(IOptions<ImageStoreOptions> options, IOptions<ApplianceOptions> appliance)
{
    public string Root => Path.GetFullPath(options.Value.Directory is { Length: > 0 } d ? d : appliance.Value.PathUnderData("images"));

    public IReadOnlyList<string> ImportRoots =>
        options.Value.ImportRoots.Count > 0
            ? [.. options.Value.ImportRoots.Select(Path.GetFullPath)]
            : [appliance.Value.PathUnderData("incoming")];

    /// <summary><c>&lt;root&gt;/&lt;name&gt;/v&lt;version&gt;.raw</c>.</summary>
    public string PathFor(string name, int version) => Path.Combine(Root, name, $"v{version}.raw");

    /// <summary>Where an import writes before the file is complete and verified.</summary>
    public static string PartialPathFor(string finalPath) => finalPath + ".partial";

    /// <summary>Is <paramref name="path"/> (after resolving links) inside one of the import roots?</summary>
    public bool IsImportable(string path)
    {
        var full = Path.GetFullPath(path);
        var target = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
        return ImportRoots.Any(root =>
        {
            var r = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
            return target.StartsWith(r, StringComparison.Ordinal) && full.StartsWith(r, StringComparison.Ordinal);
        });
    }
}
