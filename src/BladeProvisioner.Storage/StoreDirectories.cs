using BladeProvisioner.Storage.Capacity;
using BladeProvisioner.Storage.Images;
using BladeProvisioner.Storage.Volumes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BladeProvisioner.Storage;

/// <summary>
/// The image store and the volume directory hold every blade's disk: at start both are made (or made again) 0700, so
/// no other local account can read a donor or a blade's volume, whatever mode qemu-img, tgtd or the copier give the
/// files inside. Directories created later below them are made 0700 too (<see cref="PrivateDirectory"/>). Then the
/// filesystems behind each role are logged once, with a warning when the database shares one with the volumes.
/// </summary>
internal sealed partial class StoreDirectories(ImageStore images, VolumePaths volumes, StorageCapacity capacity, CapacityMetrics metrics, ILogger<StoreDirectories> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        PrivateDirectory.Ensure(images.Root);
        PrivateDirectory.Ensure(volumes.Root);
        _ = metrics;
        try
        {
            foreach (var fs in capacity.Measure())
            {
                LogLayout(logger, fs.Describe());
                if (fs.Holds(FilesystemRole.Database) && fs.Holds(FilesystemRole.Volumes))
                {
                    LogSharedDatabase(logger, fs.Path);
                }

                if (fs.Low)
                {
                    LogLow(logger, fs.Describe());
                }
            }
        }
        catch (IOException ex)
        {
            LogLow(logger, ex.Message);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = StorageEventIds.CapacityLayout, Level = LogLevel.Information, Message = "Filesystem {Filesystem}")]
    private static partial void LogLayout(ILogger logger, string filesystem);

    [LoggerMessage(
        EventId = StorageEventIds.CapacitySharedDatabase,
        Level = LogLevel.Warning,
        Message = "The database shares a filesystem with the volumes ({Path}): clones are refused before they take its reserve, but running blades can still fill it; give it a filesystem of its own")]
    private static partial void LogSharedDatabase(ILogger logger, string path);

    [LoggerMessage(EventId = StorageEventIds.CapacityLow, Level = LogLevel.Warning, Message = "Filesystem inside its reserve (new clones, imports, uploads refused): {Filesystem}")]
    private static partial void LogLow(ILogger logger, string filesystem);
}
