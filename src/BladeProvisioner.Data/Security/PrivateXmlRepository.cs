using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace BladeProvisioner.Data.Security;

/// <summary>
/// The key ring's files: a directory only the appliance's account can enter (0700) holding key files only it can read
/// (0600, set at creation, so there is no moment at 0644). The framework's FileSystemXmlRepository takes the umask.
/// Each element is written to a temporary file and renamed, so a reader on another node never sees half a key.
/// </summary>
internal sealed class PrivateXmlRepository : IXmlRepository
{
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _directory;

    public PrivateXmlRepository(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory, DirectoryMode);
        if (File.GetUnixFileMode(directory) != DirectoryMode)
        {
            File.SetUnixFileMode(directory, DirectoryMode);
        }

        // Key files written before this (by the framework's repository) are narrowed too.
        foreach (var file in Directory.EnumerateFiles(directory, "*.xml"))
        {
            if (File.GetUnixFileMode(file) != FileMode)
            {
                File.SetUnixFileMode(file, FileMode);
            }
        }
    }

    public IReadOnlyCollection<XElement> GetAllElements() =>
        [.. Directory.EnumerateFiles(_directory, "*.xml").Order(StringComparer.Ordinal).Select(f => XElement.Load(f))];

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        var name = IsSafe(friendlyName) ? friendlyName : Guid.NewGuid().ToString();
        var final = Path.Combine(_directory, name + ".xml");
        var temp = Path.Combine(_directory, $".{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileMode };
        using (var stream = new FileStream(temp, options))
        {
            element.Save(stream);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, final, overwrite: true);
    }

    private static bool IsSafe(string? name) =>
        !string.IsNullOrEmpty(name) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
