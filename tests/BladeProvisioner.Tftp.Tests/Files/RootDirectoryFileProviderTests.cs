using System.Diagnostics;
using BladeProvisioner.Tftp.Files;
using BladeProvisioner.Tftp.Tests.Support;

namespace BladeProvisioner.Tftp.Tests.Files;

public sealed class RootDirectoryFileProviderTests : IDisposable
{
    private readonly DirectoryInfo _base = Directory.CreateTempSubdirectory("bptftp-fp-");
    private readonly string _root;
    private readonly RootDirectoryFileProvider _provider;

    public RootDirectoryFileProviderTests()
    {
        _root = Directory.CreateDirectory(Path.Combine(_base.FullName, "root")).FullName;
        _provider = new RootDirectoryFileProvider(_root);
    }

    [Fact]
    public void RegularFileInsideTheRootIsServed()
    {
        File.WriteAllText(Path.Combine(_root, "ipxe.efi"), "binary");

        var lookup = _provider.Open("ipxe.efi");

        Assert.Equal(FileLookupStatus.Found, lookup.Status);
        using var file = lookup.File!;
        Assert.Equal(6, file.Length);
    }

    [Fact]
    public void MissingFileIsNotFound()
    {
        Assert.Equal(FileLookupStatus.NotFound, _provider.Open("nothing.efi").Status);
    }

    [Fact]
    public void SymlinkLeadingOutOfTheRootIsRefused()
    {
        var secret = Path.Combine(_base.FullName, "secret.txt");
        File.WriteAllText(secret, "outside");
        File.CreateSymbolicLink(Path.Combine(_root, "escape"), secret);

        var lookup = _provider.Open("escape");

        Assert.Equal(FileLookupStatus.AccessViolation, lookup.Status);
        Assert.Contains("outside", lookup.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SymlinkedDirectoryLeadingOutOfTheRootIsRefused()
    {
        Directory.CreateDirectory(Path.Combine(_base.FullName, "etc"));
        File.WriteAllText(Path.Combine(_base.FullName, "etc", "passwd"), "root:x:0:0");
        Directory.CreateSymbolicLink(Path.Combine(_root, "boot"), Path.Combine(_base.FullName, "etc"));

        Assert.Equal(FileLookupStatus.AccessViolation, _provider.Open("boot/passwd").Status);
    }

    [Fact]
    public void SymlinkStayingInsideTheRootIsServed()
    {
        File.WriteAllText(Path.Combine(_root, "ipxe-v1.efi"), "v1");
        File.CreateSymbolicLink(Path.Combine(_root, "ipxe.efi"), "ipxe-v1.efi");

        using var file = _provider.Open("ipxe.efi").File;

        Assert.NotNull(file);
    }

    [Fact]
    public void DeviceFileIsRefused()
    {
        Prerequisites.RequireRoot("mknod");
        Run("mknod", Path.Combine(_root, "zero"), "c", "1", "5");

        var lookup = _provider.Open("zero");

        Assert.Equal(FileLookupStatus.AccessViolation, lookup.Status);
        Assert.Contains("regular", lookup.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FifoIsRefusedWithoutBlocking()
    {
        Run("mkfifo", Path.Combine(_root, "pipe"));

        Assert.Equal(FileLookupStatus.AccessViolation, _provider.Open("pipe").Status);
    }

    [Fact]
    public void DirectoryIsRefused()
    {
        Directory.CreateDirectory(Path.Combine(_root, "boot"));

        Assert.Equal(FileLookupStatus.AccessViolation, _provider.Open("boot").Status);
    }


    private static void Run(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true })!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} failed: {process.StandardError.ReadToEnd()}");
    }

    public void Dispose() => _base.Delete(recursive: true);
}
