using BladeProvisioner.Storage.Images;
using BladeProvisioner.Storage.Volumes;
using Microsoft.Extensions.Hosting;

namespace BladeProvisioner.Storage;

/// <summary>
/// The image store and the volume directory hold every blade's disk: at start both are made (or made again) 0700, so
/// no other local account can read a donor or a blade's volume, whatever mode qemu-img, tgtd or the copier give the
/// files inside. Directories created later below them are made 0700 too (<see cref="PrivateDirectory"/>).
/// </summary>
internal sealed class StoreDirectories(ImageStore images, VolumePaths volumes) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        PrivateDirectory.Ensure(images.Root);
        PrivateDirectory.Ensure(volumes.Root);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
