using BladeProvisioner.Storage.Images;
using BladeProvisioner.Storage.Volumes;
using Microsoft.Extensions.Hosting;

namespace BladeProvisioner.Storage;

/// <summary>
/// The image store and the volume directory hold every blade's disk: at start both are made (or made again) 0700, so
/// no other local account can read a donor or a blade's volume, whatever mode qemu-img, tgtd or the copier give the
/// files inside. Directories created later below them are made 0700 too (<see cref="Private"/>).
/// </summary>
internal sealed class StoreDirectories(ImageStore images, VolumePaths volumes) : IHostedService
{
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Private(images.Root);
        Private(volumes.Root);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Creates <paramref name="path"/> (and missing parents) 0700, and narrows an existing one to 0700.</summary>
    public static void Private(string path)
    {
        Directory.CreateDirectory(path, Mode);
        if (File.GetUnixFileMode(path) != Mode)
        {
            File.SetUnixFileMode(path, Mode);
        }
    }
}
