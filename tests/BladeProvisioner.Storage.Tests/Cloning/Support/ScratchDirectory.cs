namespace BladeProvisioner.Storage.Tests.Cloning.Support;

/// <summary>A private directory under /tmp/bpclone-*, removed on dispose.</summary>
internal sealed class ScratchDirectory : IDisposable
{
    public ScratchDirectory(string? root = null)
    {
        Path = System.IO.Path.Combine(root ?? "/tmp", "bpclone-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a failed test may still hold a file open.
        }
    }
}
